// Makes the NGINX Deployment or DaemonSet run the rendered configuration:
// adds the bridge container or removes it (present exactly when the Gateway
// routes to an InferencePool; one the workload already has, as a container
// or a native sidecar, is kept), wires the NGINX container
// (NginxContainerPatcher) and the response phase (CompletionWiring), and
// stamps the pod template with the config hash, so that a new configuration
// rolls the Pods.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

#include "render/manifest.h"
#include "render/nginx_container_patcher.h"
#include "render/render_options.h"

namespace eppb::render {

struct PodPlan {
  bool need_bridge = false;
  std::string completion_socket;  // empty: no response phase
  std::string config_hash;
  ConfigMapNames config_maps;
  uint16_t lowest_port = 80;  // the lowest port NGINX listens on
};

class WorkloadPatcher {
 public:
  static constexpr const char* kConfigHashAnnotation = "epp-bridge.io/nginx-conf-hash";

  explicit WorkloadPatcher(const RenderOptions& options) : options_(options) {}

  // The completion socket the bridge will use: --completion-socket of the
  // workload's bridge container if it has one (none: off), else of
  // --bridge-arg, else the option. An explicit option that disagrees, or a
  // relative path, is an error.
  bool CompletionSocket(const Manifest* workload, std::string* socket, std::string* error) const;

  bool Patch(Manifest* workload, const PodPlan& plan, std::string* error) const;

 private:
  YAML::Node FindBridge(const YAML::Node& pod_spec) const;
  const RenderOptions& options_;
};

}  // namespace eppb::render
