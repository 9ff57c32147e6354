#include "render/fallback_service.h"

#include "render/yaml_writer.h"

namespace eppb::render {

YAML::Node FallbackService::Build(const InferencePool& pool, const PoolTarget& target) {
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

}  // namespace eppb::render
