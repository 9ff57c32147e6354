#include "render/renderer.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "render/field_reader.h"
#include "render/nginx_config_writer.h"
#include "render/nginx_files.h"
#include "render/parsers.h"
#include "render/pod_checker.h"
#include "render/route_resolver.h"
#include "render/workload_patcher.h"
#include "render/yaml_writer.h"

namespace eppb::render {

namespace {

// "ns/name" or "name" (in the default namespace).
ObjectKey ParseKey(const std::string& s, const std::string& default_ns) {
  const auto slash = s.find('/');
  if (slash == std::string::npos) return {default_ns, s};
  return {s.substr(0, slash), s.substr(slash + 1)};
}

bool IsWorkload(const Manifest& m) {
  return m.IsGroupKind("apps", "Deployment") || m.IsGroupKind("apps", "DaemonSet");
}

bool HasContainer(const Manifest& m, const std::string& name) {
  const YAML::Node list = At(m.node(), {"spec", "template", "spec", "containers"});
  if (!list.IsSequence()) return false;
  for (const auto& c : list) {
    if (c.IsMap() && ScalarOr(c["name"], "") == name) return true;
  }
  return false;
}

std::string Annotation(const Manifest& m, const std::string& key) {
  return ScalarOr(At(m.node(), {"metadata", "annotations", key.c_str()}), "");
}

// Does this HTTPRoute name the Gateway in spec.parentRefs (before any checks)?
bool NamesGateway(const Manifest& route, const ObjectKey& gw) {
  const YAML::Node refs = At(route.node(), {"spec", "parentRefs"});
  if (!refs.IsSequence()) return false;
  for (const auto& r : refs) {
    const std::string ns = ScalarOr(At(r, {"namespace"}), route.ns());
    if (ScalarOr(At(r, {"name"}), "") == gw.name && ns == gw.ns) return true;
  }
  return false;
}

ServiceInfo ReadService(const Manifest& m) {
  ServiceInfo s;
  s.key = {m.ns(), m.name()};
  s.type = ScalarOr(At(m.node(), {"spec", "type"}), "ClusterIP");
  const YAML::Node ports = At(m.node(), {"spec", "ports"});
  for (size_t i = 0; ports.IsSequence() && i < ports.size(); ++i) {
    const std::string p = ScalarOr(At(ports[i], {"port"}), "");
    try {
      if (!p.empty()) s.ports.push_back(static_cast<uint16_t>(std::stoi(p)));
    } catch (const std::exception&) {
      // not a number: the API server would reject it; nothing to check against
    }
  }
  return s;
}

std::string Hash(const std::string& text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

std::string NoWorkloadError(const std::vector<Manifest>& all) {
  std::string error =
      "no NGINX Deployment or DaemonSet among the manifests to write (files and stdin; a "
      "container named \"nginx\", the annotation epp-bridge.io/nginx: \"true\", or "
      "--workload)";
  for (const auto& m : all) {
    if (!m.passthrough() && IsWorkload(m)) {
      error += "; " + m.Describe() + " from " + m.source() +
               " was given with --context, which is only read: give that file without --context";
      break;
    }
  }
  return error + "; --config-only renders the configuration alone";
}

const Manifest* FindConfigMapWith(const std::vector<Manifest>& all, const std::string& ns,
                                  const char* key) {
  for (const auto& m : all) {
    if (m.passthrough() && m.IsGroupKind("", "ConfigMap") && m.ns() == ns &&
        At(m.node(), {"data", key}).IsDefined()) {
      return &m;
    }
  }
  return nullptr;
}

// Emits a ConfigMap `<workload><suffix>` with `data`; returns its name.
std::string AddConfigMap(const Manifest& workload, const std::string& suffix,
                         const std::map<std::string, std::string>& data, bool annotate,
                         std::vector<YAML::Node>* extra) {
  YAML::Node c;
  c["apiVersion"] = "v1";
  c["kind"] = "ConfigMap";
  c["metadata"]["name"] = workload.name() + suffix;
  c["metadata"]["namespace"] = workload.ns();
  if (annotate) {
    c["metadata"]["annotations"][Renderer::kConfigMapAnnotation] = YamlWriter::QuotedString("true");
  }
  for (const auto& [k, v] : data) c["data"][k] = v;
  extra->push_back(c);
  return workload.name() + suffix;
}

// The Service render emits for a FailOpen InferencePool: it selects the
// pool's Pods on the pool's target ports, so that NGINX's fallback upstream
// has a stable address when the EPP gives no decision.
YAML::Node FallbackService(const InferencePool& pool, const PoolTarget& target) {
  YAML::Node s;
  s["apiVersion"] = "v1";
  s["kind"] = "Service";
  s["metadata"]["name"] = target.fallback_service;
  s["metadata"]["namespace"] = pool.key.ns;
  s["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "epp-bridge-render";
  s["metadata"]["annotations"]["epp-bridge.io/inference-pool"] = pool.key.name;
  s["spec"]["type"] = "ClusterIP";
  for (const auto& [k, v] : pool.selector) s["spec"]["selector"][k] = YamlWriter::QuotedString(v);
  for (uint16_t p : pool.target_ports) {
    YAML::Node port;
    port["name"] = "tcp-" + std::to_string(p);
    port["port"] = p;
    port["targetPort"] = p;
    port["protocol"] = "TCP";
    s["spec"]["ports"].push_back(port);
  }
  return s;
}

}  // namespace

uint16_t Renderer::LowestPort(const RoutingPlan& plan) const {
  uint16_t lowest = options_.health_port == 0 ? 65535 : options_.health_port;
  for (const auto& s : plan.servers) {
    const auto it = options_.port_map.find(s.port);
    lowest = std::min<uint16_t>(lowest, it == options_.port_map.end() ? s.port : it->second);
  }
  return lowest;
}

bool Renderer::SelectGateway(const std::vector<Manifest>& all, const Manifest** out,
                             std::string* error) const {
  std::vector<const Manifest*> gateways;
  for (const auto& m : all) {
    if (m.IsGroupKind(GatewayParser::kGroup, "Gateway")) gateways.push_back(&m);
  }
  if (!options_.gateway.empty()) {
    const ObjectKey want = ParseKey(options_.gateway, options_.default_namespace);
    for (const Manifest* g : gateways) {
      if (g->ns() == want.ns && g->name() == want.name) {
        *out = g;
        return true;
      }
    }
    *error = "--gateway: Gateway " + want.ToString() + " is not in the input";
    return false;
  }
  if (gateways.size() == 1) {
    *out = gateways[0];
    return true;
  }
  if (gateways.empty()) {
    *error =
        "no Gateway (gateway.networking.k8s.io) in the input; give one on stdin, as a file "
        "or with --context";
    return false;
  }
  std::string names;
  for (const Manifest* g : gateways) names += " " + g->ns() + "/" + g->name();
  *error = "the input has several Gateways (" + names.substr(1) + "); choose one with --gateway";
  return false;
}

bool Renderer::SelectWorkload(std::vector<Manifest>& all, Manifest** out,
                              std::string* error) const {
  *out = nullptr;
  if (!options_.workload.empty()) {
    const ObjectKey want = ParseKey(options_.workload, options_.default_namespace);
    for (auto& m : all) {
      if (m.passthrough() && IsWorkload(m) && m.ns() == want.ns && m.name() == want.name) {
        *out = &m;
        return true;
      }
    }
    *error = "--workload: no Deployment or DaemonSet " + want.ToString() +
             " among the manifests to write (stdin or files)";
    return false;
  }
  std::vector<Manifest*> marked, named;
  for (auto& m : all) {
    if (!m.passthrough() || !IsWorkload(m)) continue;
    if (Annotation(m, kWorkloadAnnotation) == "true") marked.push_back(&m);
    if (HasContainer(m, options_.nginx_container)) named.push_back(&m);
  }
  const auto& pick = marked.empty() ? named : marked;
  if (pick.size() > 1) {
    *error = "several NGINX workloads (" + pick[0]->Describe() + ", " + pick[1]->Describe() +
             "); choose one with --workload";
    return false;
  }
  if (pick.size() == 1) *out = pick[0];
  return true;
}

Manifest* Renderer::SelectConfigMap(std::vector<Manifest>& all) const {
  for (auto& m : all) {
    if (!m.passthrough() || !m.IsGroupKind("", "ConfigMap")) continue;
    if (options_.configmap.empty() ? Annotation(m, kConfigMapAnnotation) == "true"
                                   : m.name() == options_.configmap) {
      return &m;
    }
  }
  return nullptr;
}

bool Renderer::Render(std::vector<Manifest> all, RenderResult* out, std::string* error) const {
  const Manifest* gw_manifest = nullptr;
  if (!SelectGateway(all, &gw_manifest, error)) return false;
  Gateway gateway;
  if (!GatewayParser::Parse(*gw_manifest, &gateway, error)) return false;

  std::vector<HttpRoute> routes;
  std::set<ObjectKey> wanted_pools;
  std::map<ObjectKey, ServiceInfo> services;
  for (const auto& m : all) {
    if (m.IsGroupKind("", "Service")) services[{m.ns(), m.name()}] = ReadService(m);
    // Routes of other Gateways (and the pools they use) are none of our business.
    if (!m.IsGroupKind(GatewayParser::kGroup, "HTTPRoute") || !NamesGateway(m, gateway.key)) {
      continue;
    }
    HttpRoute r;
    if (!HttpRouteParser::Parse(m, &r, &out->warnings, error)) return false;
    for (const auto& rule : r.rules) {
      for (const auto& b : rule.backends) {
        if (b.kind == BackendRef::Kind::kInferencePool) wanted_pools.insert(b.key);
      }
    }
    routes.push_back(std::move(r));
  }
  std::map<ObjectKey, InferencePool> pools;
  for (const auto& m : all) {
    if (m.kind() != "InferencePool" || !wanted_pools.count({m.ns(), m.name()})) continue;
    InferencePool p;
    if (!InferencePoolParser::Parse(m, &p, error)) return false;
    pools[p.key] = p;
  }

  RoutingPlan plan;
  RouteResolver resolver(options_, pools, services);
  if (!resolver.Resolve(gateway, routes, &plan, &out->warnings, error)) return false;
  out->bridge = plan.HasInferenceRoutes();

  Manifest* workload = nullptr;
  if (!options_.config_only) {
    if (!SelectWorkload(all, &workload, error)) return false;
    if (!workload) {
      *error = NoWorkloadError(all);
      return false;
    }
  }
  WorkloadPatcher patcher(options_);
  std::string socket;
  if (out->bridge && !patcher.CompletionSocket(workload, &socket, error)) return false;
  NginxConfigWriter writer(options_, socket);
  out->nginx_conf = writer.Write(plan);
  if (out->bridge) out->completion_conf = writer.WriteCompletionConf();
  const std::string hash = Hash(out->nginx_conf + out->completion_conf);

  std::vector<YAML::Node> extra;
  Manifest* cm = SelectConfigMap(all);
  if (cm) {
    YAML::Node data = cm->node()["data"];
    data[kConfigKey] = out->nginx_conf;
    if (out->bridge) {
      data[kCompletionKey] = out->completion_conf;
    } else {
      data.remove(kCompletionKey);
    }
  }
  if (workload) {
    PodPlan pod;
    pod.need_bridge = out->bridge;
    pod.completion_socket = socket;
    pod.config_hash = hash;
    pod.lowest_port = LowestPort(plan);
    std::map<std::string, std::string> conf{{kConfigKey, out->nginx_conf}};
    if (out->bridge) conf[kCompletionKey] = out->completion_conf;
    pod.config_maps.nginx_conf =
        cm ? cm->name() : AddConfigMap(*workload, "-nginx-conf", conf, true, &extra);
    if (out->bridge) {
      const Manifest* epp = FindConfigMapWith(all, workload->ns(), NginxFiles::kEppConfKey);
      pod.config_maps.epp_conf =
          epp ? epp->name()
              : AddConfigMap(*workload, "-epp-conf", NginxFiles::EppConf(), false, &extra);
      const Manifest* njs = FindConfigMapWith(all, workload->ns(), NginxFiles::kNjsKey);
      pod.config_maps.njs =
          njs ? njs->name() : AddConfigMap(*workload, "-njs", NginxFiles::Njs(), false, &extra);
    }
    if (!patcher.Patch(workload, pod, error)) return false;
  }

  for (const auto& target : plan.pools) {
    if (target.fallback_service.empty()) continue;
    bool exists = false;
    for (const auto& m : all) {
      exists |= m.passthrough() && m.IsGroupKind("", "Service") && m.ns() == target.key.ns &&
                m.name() == target.fallback_service;
    }
    if (!exists) extra.push_back(FallbackService(pools.at(target.key), target));
  }

  std::vector<YAML::Node> docs;
  for (const auto& m : all) {
    if (m.passthrough()) docs.push_back(m.node());
  }
  for (const auto& e : extra) docs.push_back(e);
  out->manifests = YamlWriter::Write(docs);
  if (workload) {
    // What was written must run: re-read it, as kubectl would.
    std::vector<YAML::Node> written = YAML::LoadAll(out->manifests);
    const auto problems =
        PodChecker(options_.nginx_container, options_.bridge_container, options_.default_namespace)
            .Check(written);
    if (!problems.empty()) {
      *error = "the rendered Pod would not run the configuration: " + problems[0];
      for (size_t i = 1; i < problems.size(); ++i) *error += "; " + problems[i];
      return false;
    }
  }
  return true;
}

}  // namespace eppb::render
