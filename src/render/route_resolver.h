// Decides which HTTPRoutes attach to the Gateway's HTTP listeners and turns
// them into a RoutingPlan: servers per port and hostname, locations per path,
// weighted choices of pools or Services. Follows Gateway API's attachment
// (parentRefs, sectionName, port, allowedRoutes, hostnames) and conflict
// rules (the oldest route, then namespace/name, wins a duplicated path).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "render/gateway_model.h"
#include "render/render_options.h"
#include "render/routing_plan.h"

namespace eppb::render {

class RouteResolver {
 public:
  RouteResolver(const RenderOptions& options, std::map<ObjectKey, InferencePool> pools,
                std::map<ObjectKey, ServiceInfo> services);

  // False with *error naming the object and field (a missing pool, a port
  // that the Service does not have).
  bool Resolve(const Gateway& gateway, const std::vector<HttpRoute>& routes, RoutingPlan* plan,
               std::vector<std::string>* warnings, std::string* error);

  // "<pool>-epp-fallback", shortened to a DNS label with a hash if needed.
  static std::string FallbackServiceName(const std::string& pool);

 private:
  struct Entry {
    const HttpRoute* route;
    const RouteRule* rule;
    PathMatch match;
  };
  bool AddPool(const HttpRoute& route, const RouteRule& rule, const BackendRef& b, size_t* index,
               std::string* error);
  bool AddService(const HttpRoute& route, const RouteRule& rule, const BackendRef& b, size_t* index,
                  std::string* error);
  bool BuildLocation(const Entry& e, Location* out, std::string* error);
  std::vector<std::string> Servers(const std::string& host, uint16_t port) const;
  std::string ServiceHost(const ObjectKey& key) const;

  const RenderOptions& options_;
  std::map<ObjectKey, InferencePool> pools_;
  std::map<ObjectKey, ServiceInfo> services_;
  RoutingPlan* plan_ = nullptr;
};

}  // namespace eppb::render
