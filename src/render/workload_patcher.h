// Adds the bridge container to the NGINX Deployment or DaemonSet, or removes
// it: present exactly when the Gateway routes to an InferencePool. A bridge
// container that the workload already has (as a container or as a native
// sidecar) is kept as it is. Also shares the completion socket's emptyDir
// with the NGINX container and stamps the pod template with the config hash,
// so that a new configuration rolls the Pods.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "render/manifest.h"
#include "render/render_options.h"

namespace eppb::render {

class WorkloadPatcher {
 public:
  static constexpr const char* kConfigHashAnnotation = "epp-bridge.io/nginx-conf-hash";

  explicit WorkloadPatcher(const RenderOptions& options) : options_(options) {}

  // The completion socket the bridge will use: --completion-socket of the
  // workload's bridge container if it has one, else the option.
  std::string CompletionSocket(const Manifest& workload) const;

  bool Patch(Manifest* workload, bool need_bridge, const std::string& completion_socket,
             const std::string& config_hash, std::string* error) const;

 private:
  YAML::Node FindBridge(const YAML::Node& pod_spec) const;
  const RenderOptions& options_;
};

}  // namespace eppb::render
