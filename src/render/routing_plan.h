// What NGINX must do for one Gateway: the result of RouteResolver and the
// input of NginxConfigWriter. Names here are final NGINX names.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "render/gateway_model.h"

namespace eppb::render {

// An InferencePool as NGINX sees it: its EPP and, for FailOpen, the upstream
// of its members.
struct PoolTarget {
  ObjectKey key;
  std::string epp_host;
  uint16_t epp_port = 0;
  std::string failure_mode;
  std::string fallback_upstream;              // FailOpen only: upstream{} name
  std::vector<std::string> fallback_servers;  // its server entries, host:port
  std::string fallback_service;               // FailOpen only: the Service render emits
  std::vector<uint16_t> target_ports;
};

// A Service backend: one upstream{}.
struct ServiceTarget {
  ObjectKey key;
  uint16_t port = 0;
  std::string upstream;
  std::vector<std::string> servers;
};

// One path of one rule. A PathPrefix "/v1" becomes `location /v1/` and
// `location = /v1`; Exact "/v1" becomes `location = /v1`.
struct Location {
  enum class Action { kPools, kServices, kNoBackend };
  PathMatch match;
  Action action = Action::kNoBackend;
  // Index into RoutingPlan::pools or ::services, and the weight (> 0).
  std::vector<std::pair<size_t, int64_t>> choices;
  std::string origin;   // "HTTPRoute default/llm-route rule 0"
  size_t split_id = 0;  // set by the writer's numbering (weighted choices only)
};

struct Server {
  uint16_t port = 0;
  std::string hostname;  // empty: the port's default server
  std::vector<Location> locations;
  bool HasPools() const {
    for (const auto& l : locations) {
      if (l.action == Location::Action::kPools) return true;
    }
    return false;
  }
};

struct RoutingPlan {
  ObjectKey gateway;
  std::vector<PoolTarget> pools;
  std::vector<ServiceTarget> services;
  std::vector<Server> servers;               // by port, then hostname ("" first)
  std::vector<std::string> attached_routes;  // "ns/name" of every attached HTTPRoute
  bool HasInferenceRoutes() const {
    for (const auto& s : servers) {
      if (s.HasPools()) return true;
    }
    return false;
  }
};

}  // namespace eppb::render
