// The response phase in the Pod: NGINX writes completion records to the
// bridge's --completion-socket. Makes the four pieces agree: the bridge's
// flag, a volume mounted at the socket's directory in both containers at the
// same path (emptyDir epp-bridge-run when the bridge mounts none), the
// socket's group (the Pod's fsGroup, --completion-socket-group), and NGINX
// running as non-root so that its workers keep that group.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

#include "render/render_options.h"

namespace eppb::render {

class CompletionWiring {
 public:
  explicit CompletionWiring(const RenderOptions& options) : options_(options) {}

  // `socket` is not empty; `bridge` already has --completion-socket `socket`.
  // `lowest_port`: the lowest port NGINX listens on (below 1024 it needs the
  // Pod sysctl net.ipv4.ip_unprivileged_port_start when non-root).
  bool Patch(YAML::Node pod_spec, YAML::Node nginx, YAML::Node bridge, const std::string& socket,
             const std::string& where, uint16_t lowest_port, std::string* error) const;

 private:
  bool ShareVolume(YAML::Node pod_spec, YAML::Node nginx, YAML::Node bridge,
                   const std::string& socket, const std::string& where, std::string* error) const;
  bool SetGroup(YAML::Node pod_spec, YAML::Node bridge, const std::string& where,
                std::string* error) const;
  bool NonRootNginx(YAML::Node pod_spec, YAML::Node nginx, const std::string& where,
                    uint16_t lowest_port, std::string* error) const;
  const RenderOptions& options_;
};

}  // namespace eppb::render
