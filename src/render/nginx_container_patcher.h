// Makes the NGINX container run the rendered configuration: `nginx -p PREFIX
// -c CONF_DIR/nginx.conf` (set when the container has no command or args),
// CONF_DIR mounted from the nginx.conf ConfigMap and, for InferencePool
// routes, the epp-*.conf ConfigMap; js_path mounted from the epp.js
// ConfigMap; a writable PREFIX. Volumes it adds are named epp-bridge-* and
// rewritten on every render; a volume of the workload's own that lacks a
// ConfigMap is an error naming it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "render/render_options.h"

namespace eppb::render {

struct ConfigMapNames {
  std::string nginx_conf;  // nginx.conf, epp-completion.conf
  std::string epp_conf;    // epp-http.conf, epp-server.conf, epp-proxy.conf
  std::string njs;         // epp.js
};

class NginxContainerPatcher {
 public:
  static constexpr const char* kConfVolume = "epp-bridge-nginx-conf";
  static constexpr const char* kNjsVolume = "epp-bridge-njs";
  static constexpr const char* kPrefixVolume = "epp-bridge-nginx-prefix";

  explicit NginxContainerPatcher(const RenderOptions& options) : options_(options) {}

  // `where` names the container in errors.
  bool Patch(YAML::Node pod_spec, YAML::Node nginx, const std::string& where,
             const ConfigMapNames& names, bool bridge, std::string* error) const;

 private:
  bool SetArgs(YAML::Node nginx, const std::string& where, std::string* prefix,
               std::string* error) const;
  bool MountConfigMaps(YAML::Node pod_spec, YAML::Node nginx, const std::string& where,
                       const char* volume, const std::string& path,
                       const std::vector<std::string>& config_maps, const std::string& what,
                       std::string* error) const;
  const RenderOptions& options_;
};

}  // namespace eppb::render
