// The parts of Gateway API and Inference Extension objects that render uses,
// read and checked by the parsers in this folder.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace eppb::render {

// "ns/name" of a namespaced object.
struct ObjectKey {
  std::string ns;
  std::string name;
  std::string ToString() const { return ns + "/" + name; }
  auto operator<=>(const ObjectKey&) const = default;
};

// inference.networking.k8s.io/v1 InferencePool.
struct InferencePool {
  ObjectKey key;
  std::map<std::string, std::string> selector;  // spec.selector.matchLabels
  std::vector<uint16_t> target_ports;           // spec.targetPorts[].number
  std::string epp_service;                      // spec.endpointPickerRef.name (a Service)
  uint16_t epp_port = 0;                        // spec.endpointPickerRef.port.number
  std::string failure_mode = "FailClose";       // spec.endpointPickerRef.failureMode
};

// v1 Service (only what is checked against references).
struct ServiceInfo {
  ObjectKey key;
  std::string type = "ClusterIP";
  std::vector<uint16_t> ports;
};

struct Listener {
  std::string name;
  std::string hostname;  // empty: any
  uint16_t port = 0;
  std::string protocol;
  bool all_namespaces = false;  // allowedRoutes.namespaces.from: All (else Same)
  bool accepts_http_routes = true;
};

// gateway.networking.k8s.io/v1 Gateway.
struct Gateway {
  ObjectKey key;
  std::vector<Listener> listeners;
};

struct ParentRef {
  ObjectKey gateway;
  std::string section_name;  // empty: every listener
  uint16_t port = 0;         // 0: any port
};

struct PathMatch {
  enum class Type { kExact, kPathPrefix };
  Type type = Type::kPathPrefix;
  std::string value = "/";
};

struct BackendRef {
  enum class Kind { kInferencePool, kService };
  Kind kind = Kind::kService;
  size_t index = 0;  // position in the rule's backendRefs
  ObjectKey key;
  uint16_t port = 0;  // Service port
  int64_t weight = 1;
};

struct RouteRule {
  size_t index = 0;
  std::vector<PathMatch> matches;
  std::vector<BackendRef> backends;
};

// gateway.networking.k8s.io/v1 HTTPRoute.
struct HttpRoute {
  ObjectKey key;
  std::string created;  // metadata.creationTimestamp (RFC 3339), may be empty
  std::vector<std::string> hostnames;
  std::vector<ParentRef> parents;
  std::vector<RouteRule> rules;
  bool ReferencesInferencePool() const {
    for (const auto& rule : rules) {
      for (const auto& b : rule.backends) {
        if (b.kind == BackendRef::Kind::kInferencePool) return true;
      }
    }
    return false;
  }
};

}  // namespace eppb::render
