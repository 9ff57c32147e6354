// `epp-bridge render` without the I/O: manifests in, manifests and an
// nginx.conf out. The Gateway's HTTPRoutes decide whether the NGINX workload
// gets the bridge container (some route references an InferencePool) or
// loses it (none does).
#pragma once

#include <string>
#include <vector>

#include "render/manifest.h"
#include "render/render_options.h"
#include "render/routing_plan.h"

namespace eppb::render {

struct RenderResult {
  std::string manifests;   // the passthrough manifests (changed), then new ones
  std::string nginx_conf;  // also in the ConfigMap, when there is a workload
  // Included by epp-proxy.conf; empty when no route goes to an InferencePool.
  std::string completion_conf;
  bool bridge = false;  // the Gateway routes to an InferencePool
  std::vector<std::string> warnings;
};

class Renderer {
 public:
  static constexpr const char* kConfigMapAnnotation = "epp-bridge.io/nginx-conf";
  static constexpr const char* kWorkloadAnnotation = "epp-bridge.io/nginx";
  static constexpr const char* kConfigKey = "nginx.conf";
  static constexpr const char* kCompletionKey = "epp-completion.conf";

  explicit Renderer(const RenderOptions& options) : options_(options) {}
  bool Render(std::vector<Manifest> manifests, RenderResult* out, std::string* error) const;

 private:
  bool SelectGateway(const std::vector<Manifest>& all, const Manifest** out,
                     std::string* error) const;
  bool SelectWorkload(std::vector<Manifest>& all, Manifest** out, std::string* error) const;
  Manifest* SelectConfigMap(std::vector<Manifest>& all) const;
  uint16_t LowestPort(const RoutingPlan& plan) const;

  const RenderOptions& options_;
};

}  // namespace eppb::render
