#include "render/field_reader.h"
#include "render/names.h"
#include "render/parsers.h"

namespace eppb::render {

namespace {

bool Unsupported(const FieldReader& f, const std::string& what, std::string* error) {
  if (!f.present()) return true;
  *error = f.Error(what + " are not supported by epp-bridge render");
  return false;
}

bool ParseParent(const FieldReader& p, const std::string& route_ns, ParentRef* out,
                 std::string* error) {
  std::string group = GatewayParser::kGroup, kind = "Gateway";
  out->gateway.ns = route_ns;
  int64_t port = 0;
  if (!p.Map(true, error) || !p["group"].String(&group, false, error) ||
      !p["kind"].String(&kind, false, error) ||
      !p["namespace"].String(&out->gateway.ns, false, error) ||
      !p["name"].String(&out->gateway.name, true, error) ||
      !p["sectionName"].String(&out->section_name, false, error) ||
      !p["port"].Int(&port, 1, 65535, false, error)) {
    return false;
  }
  out->port = static_cast<uint16_t>(port);
  if (group != GatewayParser::kGroup || kind != "Gateway")
    out->gateway.name.clear();  // not a Gateway
  return true;
}

bool ParseMatch(const FieldReader& m, PathMatch* out, std::string* error) {
  if (!m.Map(true, error) || !Unsupported(m["headers"], "header matches", error) ||
      !Unsupported(m["queryParams"], "query parameter matches", error) ||
      !Unsupported(m["method"], "method matches", error)) {
    return false;
  }
  const FieldReader path = m["path"];
  if (!path.Map(false, error)) return false;
  std::string type = "PathPrefix";
  if (!path["type"].Enum(&type, {"Exact", "PathPrefix", "RegularExpression"}, error) ||
      !path["value"].String(&out->value, false, error)) {
    return false;
  }
  if (type == "RegularExpression") {
    *error = path["type"].Error("RegularExpression is not supported by epp-bridge render");
    return false;
  }
  out->type = type == "Exact" ? PathMatch::Type::kExact : PathMatch::Type::kPathPrefix;
  if (!IsGatewayPath(out->value)) {
    *error = path["value"].Error("must be an absolute path of URL characters (got \"" + out->value +
                                 "\")");
    return false;
  }
  if (out->type == PathMatch::Type::kPathPrefix) {
    // Gateway API: a trailing '/' of a PathPrefix is ignored.
    while (out->value.size() > 1 && out->value.back() == '/') out->value.pop_back();
  }
  return true;
}

bool ParseBackend(const FieldReader& b, const std::string& route_ns, BackendRef* out,
                  std::string* error) {
  std::string group, kind = "Service";
  out->key.ns = route_ns;
  int64_t port = 0;
  if (!b.Map(true, error) || !b["group"].String(&group, false, error) ||
      !b["kind"].String(&kind, false, error) || !b["name"].String(&out->key.name, true, error) ||
      !b["namespace"].String(&out->key.ns, false, error) ||
      !b["port"].Int(&port, 1, 65535, false, error) ||
      !b["weight"].Int(&out->weight, 0, 1000000, false, error) ||
      !Unsupported(b["filters"], "backendRef filters", error)) {
    return false;
  }
  out->port = static_cast<uint16_t>(port);
  if (out->key.ns != route_ns) {
    *error = b["namespace"].Error("a backend in another namespace (" + out->key.ns +
                                  ") is not supported by epp-bridge render");
    return false;
  }
  if (kind == "InferencePool" && group == InferencePoolParser::kGroup) {
    out->kind = BackendRef::Kind::kInferencePool;
  } else if (kind == "InferencePool" && group == InferencePoolParser::kAlphaGroup) {
    *error = b["group"].Error(std::string(InferencePoolParser::kAlphaGroup) +
                              " (v1alpha2) is not supported; use " + InferencePoolParser::kGroup +
                              " (InferencePool v1)");
    return false;
  } else if (kind == "Service" && group.empty()) {
    out->kind = BackendRef::Kind::kService;
    if (port == 0) {
      *error = b["port"].Error("required for a Service backend");
      return false;
    }
  } else {
    *error =
        b["kind"].Error("unsupported backend " + (group.empty() ? "" : group + "/") + kind +
                        " (supported: Service, " + InferencePoolParser::kGroup + "/InferencePool)");
    return false;
  }
  if (!IsDnsLabel(out->key.name) && !IsDnsSubdomain(out->key.name)) {
    *error = b["name"].Error("must be a DNS name (got \"" + out->key.name + "\")");
    return false;
  }
  return true;
}

}  // namespace

bool HttpRouteParser::Parse(const Manifest& m, HttpRoute* out, std::vector<std::string>* warnings,
                            std::string* error) {
  FieldReader root(m.node(), m.Describe(), "");
  out->key = {m.ns(), m.name()};
  if (!root["metadata"]["creationTimestamp"].String(&out->created, false, error)) return false;
  const FieldReader spec = root["spec"];
  if (!spec.Map(true, error)) return false;

  const FieldReader parents = spec["parentRefs"];
  if (!parents.Sequence(false, error)) return false;
  for (size_t i = 0; i < parents.size(); ++i) {
    ParentRef p;
    if (!ParseParent(parents.Item(i), out->key.ns, &p, error)) return false;
    if (!p.gateway.name.empty()) out->parents.push_back(p);
  }

  const FieldReader hostnames = spec["hostnames"];
  if (!hostnames.Sequence(false, error)) return false;
  for (size_t i = 0; i < hostnames.size(); ++i) {
    std::string h;
    if (!hostnames.Item(i).String(&h, true, error)) return false;
    if (!IsGatewayHostname(h)) {
      *error = hostnames.Item(i).Error(
          "must be a hostname, optionally starting with \"*.\" (got \"" + h + "\")");
      return false;
    }
    out->hostnames.push_back(h);
  }

  const FieldReader rules = spec["rules"];
  if (!rules.Sequence(false, error)) return false;
  if (!rules.present()) {  // Gateway API default: one rule matching PathPrefix "/"
    out->rules.push_back(RouteRule{0, {PathMatch{}}, {}});
    return true;
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    const FieldReader r = rules.Item(i);
    RouteRule rule;
    rule.index = i;
    if (!r.Map(true, error) || !Unsupported(r["filters"], "filters", error)) return false;
    for (const char* ignored : {"timeouts", "retry", "sessionPersistence"}) {
      if (r[ignored].present()) {
        warnings->push_back(r[ignored].Error("not applied by epp-bridge render (ignored)"));
      }
    }
    const FieldReader matches = r["matches"];
    if (!matches.Sequence(false, error)) return false;
    for (size_t k = 0; k < matches.size(); ++k) {
      PathMatch pm;
      if (!ParseMatch(matches.Item(k), &pm, error)) return false;
      rule.matches.push_back(pm);
    }
    if (rule.matches.empty()) rule.matches.push_back(PathMatch{});
    const FieldReader backends = r["backendRefs"];
    if (!backends.Sequence(false, error)) return false;
    for (size_t k = 0; k < backends.size(); ++k) {
      BackendRef b;
      b.index = k;
      if (!ParseBackend(backends.Item(k), out->key.ns, &b, error)) return false;
      rule.backends.push_back(b);
    }
    bool pools = false, services = false;
    for (const auto& b : rule.backends) {
      (b.kind == BackendRef::Kind::kInferencePool ? pools : services) = true;
    }
    if (pools && services) {
      *error = backends.Error(
          "mixes InferencePool and Service backends in one rule; "
          "epp-bridge render needs them in separate rules");
      return false;
    }
    out->rules.push_back(std::move(rule));
  }
  return true;
}

}  // namespace eppb::render
