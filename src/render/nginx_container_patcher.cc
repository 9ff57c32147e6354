#include "render/nginx_container_patcher.h"

#include <algorithm>

#include "render/field_reader.h"
#include "render/pod_volumes.h"

namespace eppb::render {

bool NginxContainerPatcher::SetArgs(YAML::Node nginx, const std::string& where, std::string* prefix,
                                    std::string* error) const {
  const std::string conf = PodVolumes::Clean(options_.nginx_conf_dir) + "/nginx.conf";
  const auto words = ContainerArgs::Words(nginx);
  if (words.empty()) {
    YAML::Node command(YAML::NodeType::Sequence);
    command.push_back("nginx");
    YAML::Node args(YAML::NodeType::Sequence);
    for (const std::string& w :
         {std::string("-p"), options_.nginx_prefix, std::string("-c"), conf, std::string("-e"),
          std::string("stderr"), std::string("-g"), std::string("daemon off;")}) {
      args.push_back(w);
    }
    nginx["command"] = command;
    nginx["args"] = args;
    *prefix = options_.nginx_prefix;
    return true;
  }
  const auto c = ContainerArgs::Value(words, "-c");
  const auto p = ContainerArgs::Value(words, "-p");
  if (!c || *c != conf) {
    *error = where + ": runs NGINX with " + (c ? "-c " + *c : std::string("no -c")) +
             ", but the rendered configuration is " + conf +
             ": remove the container's command and args (render sets them) or pass -c " + conf;
    return false;
  }
  if (!p || p->empty() || p->front() != '/') {
    *error = where + ": runs NGINX without -p PREFIX: the rendered configuration keeps its pid " +
             "and temporary files under the prefix; pass -p " + options_.nginx_prefix;
    return false;
  }
  *prefix = *p;
  return true;
}

bool NginxContainerPatcher::MountConfigMaps(YAML::Node pod_spec, YAML::Node nginx,
                                            const std::string& where, const char* volume,
                                            const std::string& path,
                                            const std::vector<std::string>& config_maps,
                                            const std::string& what, std::string* error) const {
  const YAML::Node mount = PodVolumes::MountAt(nginx, path);
  if (!mount.IsDefined()) {
    PodVolumes::SetVolume(pod_spec, PodVolumes::ConfigMapVolume(volume, config_maps));
    PodVolumes::AddMount(nginx, volume, path, true);
    return true;
  }
  const std::string name = ScalarOr(At(mount, {"name"}), "");
  if (name == volume) {
    PodVolumes::SetVolume(pod_spec, PodVolumes::ConfigMapVolume(volume, config_maps));
    return true;
  }
  const auto have = PodVolumes::ConfigMapsOf(PodVolumes::Volume(pod_spec, name));
  for (const auto& cm : config_maps) {
    if (std::find(have.begin(), have.end(), cm) != have.end()) continue;
    *error = where + ": volume \"" + name + "\" mounted at " + path +
             " does not include ConfigMap " + cm + " (" + what +
             "): add it to the volume's sources, or remove the mount and let render add one";
    return false;
  }
  return true;
}

bool NginxContainerPatcher::Patch(YAML::Node pod_spec, YAML::Node nginx, const std::string& where,
                                  const ConfigMapNames& names, bool bridge,
                                  std::string* error) const {
  std::string prefix;
  if (!SetArgs(nginx, where, &prefix, error)) return false;
  std::vector<std::string> conf_maps{names.nginx_conf};
  if (bridge) conf_maps.push_back(names.epp_conf);
  if (!MountConfigMaps(
          pod_spec, nginx, where, kConfVolume, options_.nginx_conf_dir, conf_maps,
          bridge ? "nginx.conf; epp-http.conf, epp-server.conf, epp-proxy.conf" : "nginx.conf",
          error)) {
    return false;
  }
  if (bridge) {
    if (!MountConfigMaps(pod_spec, nginx, where, kNjsVolume, options_.njs_dir, {names.njs},
                         "epp.js", error)) {
      return false;
    }
  } else {
    PodVolumes::Drop(pod_spec, kNjsVolume);
  }
  const YAML::Node writable = PodVolumes::MountCovering(nginx, prefix);
  if (!writable.IsDefined()) {
    PodVolumes::SetVolume(pod_spec, PodVolumes::EmptyDirVolume(kPrefixVolume));
    PodVolumes::AddMount(nginx, kPrefixVolume, prefix, false);
  } else if (ScalarOr(At(writable, {"readOnly"}), "false") == "true") {
    *error = where + ": the NGINX prefix " + prefix + " is on a read-only mount (" +
             ScalarOr(At(writable, {"name"}), "") +
             "); NGINX writes its pid and temporary files there";
    return false;
  }
  return true;
}

}  // namespace eppb::render
