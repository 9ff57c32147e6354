#include "render/route_resolver.h"

#include <algorithm>
#include <optional>
#include <set>

#include "render/names.h"

namespace eppb::render {

namespace {

// Does the wildcard "*.example.com" cover `host` (a name or a narrower wildcard)?
bool WildcardCovers(const std::string& wildcard, const std::string& host) {
  if (wildcard.rfind("*.", 0) != 0) return false;
  const std::string suffix = wildcard.substr(1);  // ".example.com"
  return host.size() > suffix.size() &&
         host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The hostnames a route serves on a listener; empty: any host. nullopt: the
// route's hostnames and the listener's do not intersect (not attached).
std::optional<std::vector<std::string>> Intersect(const std::string& listener,
                                                  const std::vector<std::string>& route) {
  if (route.empty()) {
    return listener.empty() ? std::vector<std::string>{} : std::vector<std::string>{listener};
  }
  if (listener.empty()) return route;
  std::vector<std::string> out;
  for (const auto& h : route) {
    if (h == listener || WildcardCovers(listener, h)) {
      out.push_back(h);
    } else if (WildcardCovers(h, listener)) {
      out.push_back(listener);
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

bool RouteBefore(const HttpRoute* a, const HttpRoute* b) {
  // Gateway API conflict order: oldest first (empty timestamps last), then namespace/name.
  if (a->created != b->created) {
    if (a->created.empty()) return false;
    if (b->created.empty()) return true;
    return a->created < b->created;
  }
  return a->key < b->key;
}

std::string Origin(const HttpRoute& route, const RouteRule& rule) {
  return "HTTPRoute " + route.key.ToString() + " rule " + std::to_string(rule.index);
}

uint32_t Fnv1a(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

}  // namespace

RouteResolver::RouteResolver(const RenderOptions& options, std::map<ObjectKey, InferencePool> pools,
                             std::map<ObjectKey, ServiceInfo> services)
    : options_(options), pools_(std::move(pools)), services_(std::move(services)) {}

std::string RouteResolver::FallbackServiceName(const std::string& pool) {
  static const std::string kSuffix = "-epp-fallback";
  std::string name = pool;
  std::replace(name.begin(), name.end(), '.', '-');
  if (name.size() + kSuffix.size() <= 63) return name + kSuffix;
  char hash[9];
  snprintf(hash, sizeof hash, "%08x", Fnv1a(pool));
  std::string head = name.substr(0, 63 - kSuffix.size() - 9);
  while (!head.empty() && head.back() == '-') head.pop_back();
  return head + "-" + hash + kSuffix;
}

std::string RouteResolver::ServiceHost(const ObjectKey& key) const {
  return key.name + "." + key.ns + ".svc." + options_.cluster_domain;
}

std::vector<std::string> RouteResolver::Servers(const std::string& host, uint16_t port) const {
  const std::string hp = host + ":" + std::to_string(port);
  auto it = options_.resolve.find(hp);
  if (it != options_.resolve.end()) return it->second;
  return {hp};
}

bool RouteResolver::AddPool(const HttpRoute& route, const RouteRule& rule, const BackendRef& b,
                            size_t* index, std::string* error) {
  for (size_t i = 0; i < plan_->pools.size(); ++i) {
    if (plan_->pools[i].key == b.key) {
      *index = i;
      return true;
    }
  }
  const std::string field = "HTTPRoute " + route.key.ToString() + ": spec.rules[" +
                            std::to_string(rule.index) + "].backendRefs[" +
                            std::to_string(b.index) + "]";
  auto it = pools_.find(b.key);
  if (it == pools_.end()) {
    *error = field + ": InferencePool " + b.key.ToString() +
             " is not in the input (give it on stdin, as a file or with --context)";
    return false;
  }
  const InferencePool& pool = it->second;
  const ObjectKey epp{pool.key.ns, pool.epp_service};
  auto svc = services_.find(epp);
  if (svc != services_.end()) {
    const auto& ports = svc->second.ports;
    if (svc->second.type == "ExternalName") {
      *error = "InferencePool " + pool.key.ToString() + ": spec.endpointPickerRef.name: Service " +
               epp.ToString() + " is an ExternalName Service, which is not supported";
      return false;
    }
    if (std::find(ports.begin(), ports.end(), pool.epp_port) == ports.end()) {
      *error = "InferencePool " + pool.key.ToString() +
               ": spec.endpointPickerRef.port.number: " + "Service " + epp.ToString() +
               " has no port " + std::to_string(pool.epp_port);
      return false;
    }
  }
  PoolTarget t;
  t.key = pool.key;
  t.failure_mode = pool.failure_mode;
  t.target_ports = pool.target_ports;
  const auto epp_servers = Servers(ServiceHost(epp), pool.epp_port);
  const std::string& first = epp_servers.front();
  const auto colon = first.rfind(':');
  t.epp_host = first.substr(0, colon);
  t.epp_port = static_cast<uint16_t>(std::stoi(first.substr(colon + 1)));
  const size_t n = plan_->pools.size();
  if (pool.failure_mode == "FailOpen") {
    t.fallback_service = FallbackServiceName(pool.key.name);
    t.fallback_upstream = "pool_" + std::to_string(n) + "_" + NginxIdentifier(pool.key.name);
    for (uint16_t port : pool.target_ports) {
      for (auto& s : Servers(ServiceHost({pool.key.ns, t.fallback_service}), port)) {
        t.fallback_servers.push_back(s);
      }
    }
  }
  plan_->pools.push_back(std::move(t));
  *index = n;
  return true;
}

bool RouteResolver::AddService(const HttpRoute& route, const RouteRule& rule, const BackendRef& b,
                               size_t* index, std::string* error) {
  for (size_t i = 0; i < plan_->services.size(); ++i) {
    if (plan_->services[i].key == b.key && plan_->services[i].port == b.port) {
      *index = i;
      return true;
    }
  }
  auto svc = services_.find(b.key);
  if (svc != services_.end()) {
    const auto& ports = svc->second.ports;
    if (svc->second.type != "ExternalName" &&
        std::find(ports.begin(), ports.end(), b.port) == ports.end()) {
      *error = "HTTPRoute " + route.key.ToString() + ": spec.rules[" + std::to_string(rule.index) +
               "].backendRefs[" + std::to_string(b.index) + "].port: Service " + b.key.ToString() +
               " has no port " + std::to_string(b.port);
      return false;
    }
  }
  ServiceTarget t;
  t.key = b.key;
  t.port = b.port;
  const size_t n = plan_->services.size();
  t.upstream =
      "svc_" + std::to_string(n) + "_" + NginxIdentifier(b.key.name) + "_" + std::to_string(b.port);
  t.servers = Servers(ServiceHost(b.key), b.port);
  plan_->services.push_back(std::move(t));
  *index = n;
  return true;
}

bool RouteResolver::BuildLocation(const Entry& e, Location* out, std::string* error) {
  out->match = e.match;
  out->origin = Origin(*e.route, *e.rule);
  for (const auto& b : e.rule->backends) {
    if (b.weight == 0) continue;
    size_t index = 0;
    if (b.kind == BackendRef::Kind::kInferencePool) {
      if (!AddPool(*e.route, *e.rule, b, &index, error)) return false;
      out->action = Location::Action::kPools;
    } else {
      if (!AddService(*e.route, *e.rule, b, &index, error)) return false;
      out->action = Location::Action::kServices;
    }
    out->choices.emplace_back(index, b.weight);
  }
  return true;
}

bool RouteResolver::Resolve(const Gateway& gateway, const std::vector<HttpRoute>& routes,
                            RoutingPlan* plan, std::vector<std::string>* warnings,
                            std::string* error) {
  plan_ = plan;
  plan->gateway = gateway.key;
  std::vector<const HttpRoute*> ordered;
  for (const auto& r : routes) ordered.push_back(&r);
  std::sort(ordered.begin(), ordered.end(), RouteBefore);

  // port → hostname ("" = any) → entries, in precedence order.
  std::map<uint16_t, std::map<std::string, std::vector<Entry>>> table;
  std::set<uint16_t> ports;
  for (const auto& l : gateway.listeners) {
    if (l.protocol == "HTTP") {
      ports.insert(l.port);
    } else {
      warnings->push_back("Gateway " + gateway.key.ToString() + ": listener \"" + l.name +
                          "\": protocol " + l.protocol + " is not served by epp-bridge render");
    }
  }
  for (const HttpRoute* route : ordered) {
    bool attached = false, referenced = false;
    for (const auto& p : route->parents) {
      if (!(p.gateway == gateway.key)) continue;
      referenced = true;
      for (const auto& l : gateway.listeners) {
        if (!p.section_name.empty() && p.section_name != l.name) continue;
        if (p.port != 0 && p.port != l.port) continue;
        if (l.protocol != "HTTP" || !l.accepts_http_routes) continue;
        if (!l.all_namespaces && route->key.ns != gateway.key.ns) continue;
        auto hosts = Intersect(l.hostname, route->hostnames);
        if (!hosts) continue;
        if (hosts->empty()) hosts->push_back("");
        attached = true;
        for (const auto& h : *hosts) {
          auto& entries = table[l.port][h];
          for (const auto& rule : route->rules) {
            for (const auto& m : rule.matches) {
              const bool dup = std::any_of(entries.begin(), entries.end(), [&](const Entry& e) {
                return e.route == route && e.rule == &rule && e.match.type == m.type &&
                       e.match.value == m.value;
              });
              if (!dup) entries.push_back({route, &rule, m});
            }
          }
        }
      }
    }
    if (attached) {
      plan->attached_routes.push_back(route->key.ToString());
    } else if (referenced) {
      warnings->push_back("HTTPRoute " + route->key.ToString() +
                          ": spec.parentRefs: attaches to no HTTP listener of Gateway " +
                          gateway.key.ToString() +
                          " (sectionName, port, hostnames or "
                          "allowedRoutes do not match)");
    }
  }

  for (uint16_t port : ports) {
    auto& hosts = table[port];
    hosts[""];  // every port has a default server, even if it only answers 404
    for (auto& [host, entries] : hosts) {
      Server server;
      server.port = port;
      server.hostname = host;
      for (const auto& e : entries) {
        auto same =
            std::find_if(server.locations.begin(), server.locations.end(), [&](const Location& l) {
              return l.match.type == e.match.type && l.match.value == e.match.value;
            });
        if (same != server.locations.end()) {
          warnings->push_back(Origin(*e.route, *e.rule) + ": path " + e.match.value + " on port " +
                              std::to_string(port) + (host.empty() ? "" : " host " + host) +
                              " is already routed by " + same->origin + " (ignored)");
          continue;
        }
        Location loc;
        if (!BuildLocation(e, &loc, error)) return false;
        server.locations.push_back(std::move(loc));
      }
      std::sort(server.locations.begin(), server.locations.end(),
                [](const Location& a, const Location& b) {
                  if (a.match.value != b.match.value) return a.match.value < b.match.value;
                  return a.match.type < b.match.type;
                });
      plan->servers.push_back(std::move(server));
    }
  }
  return true;
}

}  // namespace eppb::render
