#include "render/completion_wiring.h"

#include "render/bridge_container.h"
#include "render/field_reader.h"
#include "render/pod_volumes.h"
#include "render/yaml_writer.h"

namespace eppb::render {

bool CompletionWiring::ShareVolume(YAML::Node pod_spec, YAML::Node nginx, YAML::Node bridge,
                                   const std::string& socket, const std::string& where,
                                   std::string* error) const {
  std::string volume, path;
  const YAML::Node bm = PodVolumes::MountCovering(bridge, socket);
  if (bm.IsDefined()) {
    volume = ScalarOr(At(bm, {"name"}), "");
    path = PodVolumes::Clean(ScalarOr(At(bm, {"mountPath"}), ""));
    if (ScalarOr(At(bm, {"readOnly"}), "false") == "true") {
      *error =
          where + ": the bridge mounts " + path + " read-only; it creates " + socket + " there";
      return false;
    }
  } else {
    volume = BridgeContainer::kRunVolume;
    path = BridgeContainer::SocketDir(socket);
    if (!PodVolumes::Volume(pod_spec, volume).IsDefined()) {
      PodVolumes::SetVolume(pod_spec, PodVolumes::EmptyDirVolume(volume));
    }
    PodVolumes::AddMount(bridge, volume, path, false);
  }
  if (!PodVolumes::Volume(pod_spec, volume).IsDefined()) {
    *error = where + ": the bridge mounts volume \"" + volume + "\", which the Pod does not have";
    return false;
  }
  const YAML::Node nm = PodVolumes::MountCovering(nginx, socket);
  if (!nm.IsDefined()) {
    PodVolumes::AddMount(nginx, volume, path, false);
    return true;
  }
  const std::string nvolume = ScalarOr(At(nm, {"name"}), "");
  const std::string npath = PodVolumes::Clean(ScalarOr(At(nm, {"mountPath"}), ""));
  if (nvolume != volume || npath != path) {
    *error = where + ": the completion socket " + socket + " is in volume \"" + volume + "\" at " +
             path + " for the bridge, but NGINX mounts \"" + nvolume + "\" at " + npath +
             ": both must mount the same volume at the same path";
    return false;
  }
  return true;
}

bool CompletionWiring::SetGroup(YAML::Node pod_spec, YAML::Node bridge, const std::string& where,
                                std::string* error) const {
  // An emptyDir is owned by the Pod's fsGroup, which every container's
  // processes have as a supplementary group: the socket's group.
  std::string group = ScalarOr(At(pod_spec, {"securityContext", "fsGroup"}), "");
  if (group.empty()) {
    pod_spec["securityContext"]["fsGroup"] = options_.socket_group;
    group = std::to_string(options_.socket_group);
  }
  const auto flag = ContainerArgs::Value(bridge, "--completion-socket-group");
  if (!flag) {
    bridge["args"].push_back("--completion-socket-group");
    bridge["args"].push_back(YamlWriter::QuotedString(group));
    return true;
  }
  const bool numeric = !flag->empty() && flag->find_first_not_of("0123456789") == std::string::npos;
  if (numeric && *flag != group) {
    *error = where + ": the bridge's --completion-socket-group " + *flag +
             " is not the Pod's fsGroup " + group +
             ", the one group NGINX's workers are sure to have";
    return false;
  }
  return true;
}

bool CompletionWiring::NonRootNginx(YAML::Node pod_spec, YAML::Node nginx, const std::string& where,
                                    uint16_t lowest_port, std::string* error) const {
  std::string user = ScalarOr(At(nginx, {"securityContext", "runAsUser"}), "");
  if (user.empty()) user = ScalarOr(At(pod_spec, {"securityContext", "runAsUser"}), "");
  if (user == "0") {
    *error = where +
             ": NGINX runs as root, so its workers run as nobody, outside the completion "
             "socket's group: set a non-root runAsUser, or turn the response phase off with "
             "--completion-socket ''";
    return false;
  }
  if (!user.empty()) return true;
  nginx["securityContext"]["runAsUser"] = options_.nginx_user;
  nginx["securityContext"]["runAsNonRoot"] = true;
  if (lowest_port >= 1024) return true;
  YAML::Node sysctls = pod_spec["securityContext"]["sysctls"];
  for (const auto& s : sysctls) {
    if (ScalarOr(At(s, {"name"}), "") == "net.ipv4.ip_unprivileged_port_start") return true;
  }
  YAML::Node s;
  s["name"] = "net.ipv4.ip_unprivileged_port_start";
  s["value"] = "0";
  s["value"].SetTag("!");
  pod_spec["securityContext"]["sysctls"].push_back(s);
  return true;
}

bool CompletionWiring::Patch(YAML::Node pod_spec, YAML::Node nginx, YAML::Node bridge,
                             const std::string& socket, const std::string& where,
                             uint16_t lowest_port, std::string* error) const {
  return ShareVolume(pod_spec, nginx, bridge, socket, where, error) &&
         SetGroup(pod_spec, bridge, where, error) &&
         NonRootNginx(pod_spec, nginx, where, lowest_port, error);
}

}  // namespace eppb::render
