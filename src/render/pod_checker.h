// Checks that an NGINX workload's Pod can run the configuration it mounts:
// NGINX's -c file is mounted from a ConfigMap among the manifests, every file
// it includes (and epp.js in js_path) is mounted beside it, the prefix is
// writable, the bridge container is there exactly when nginx.conf has an
// `upstream epp_bridge` and listens on its address, and the response phase
// agrees: the bridge's --completion-socket is NGINX's syslog socket, one
// volume mounted at the same path in both, the socket's group the Pod's
// fsGroup, and NGINX not root. render runs it on its own output.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace eppb::render {

class PodChecker {
 public:
  PodChecker(std::string nginx_container, std::string bridge_container,
             std::string default_namespace = "default")
      : nginx_container_(std::move(nginx_container)),
        bridge_container_(std::move(bridge_container)),
        default_namespace_(std::move(default_namespace)) {}

  // The problems of every Deployment or DaemonSet in `docs` that has the
  // NGINX container, each starting with the workload's kind and name.
  std::vector<std::string> Check(const std::vector<YAML::Node>& docs) const;

 private:
  void CheckWorkload(const YAML::Node& workload, const std::vector<YAML::Node>& docs,
                     std::vector<std::string>* problems) const;
  std::string nginx_container_;
  std::string bridge_container_;
  std::string default_namespace_;
};

}  // namespace eppb::render
