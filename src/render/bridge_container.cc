#include "render/bridge_container.h"

#include "render/yaml_writer.h"

namespace eppb::render {

std::string BridgeContainer::SocketDir(const std::string& socket) {
  const auto slash = socket.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return socket.substr(0, slash);
}

std::string BridgeContainer::CompletionSocketOf(const YAML::Node& container) {
  static const std::string kFlag = "--completion-socket";
  std::vector<std::string> words;
  for (const char* field : {"command", "args"}) {
    const YAML::Node list = container[field];
    if (!list.IsDefined() || !list.IsSequence()) continue;
    for (const auto& w : list) {
      if (w.IsScalar()) words.push_back(w.Scalar());
    }
  }
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i] == kFlag && i + 1 < words.size()) return words[i + 1];
    if (words[i].rfind(kFlag + "=", 0) == 0) return words[i].substr(kFlag.size() + 1);
  }
  return "";
}

YAML::Node BridgeContainer::Build(const RenderOptions& o, const std::string& completion_socket) {
  YAML::Node c;
  c["name"] = o.bridge_container;
  c["image"] = o.bridge_image;
  c["imagePullPolicy"] = "IfNotPresent";
  YAML::Node args;
  args.push_back("serve");
  args.push_back("--admin-listen");
  args.push_back("0.0.0.0:" + std::to_string(o.admin_port));
  if (!completion_socket.empty()) {
    args.push_back("--completion-socket");
    args.push_back(completion_socket);
  }
  for (const auto& a : o.bridge_args) args.push_back(a);
  c["args"] = args;
  YAML::Node port;
  port["name"] = "admin";
  port["containerPort"] = o.admin_port;
  port["protocol"] = "TCP";
  c["ports"].push_back(port);
  for (const auto& [probe, path, period] :
       {std::tuple{"livenessProbe", "/healthz", 10}, std::tuple{"readinessProbe", "/readyz", 5}}) {
    YAML::Node p;
    p["httpGet"]["path"] = path;
    p["httpGet"]["port"] = "admin";
    p["periodSeconds"] = period;
    p["timeoutSeconds"] = 2;
    p["failureThreshold"] = 3;
    c[probe] = p;
  }
  c["resources"]["requests"]["cpu"] = "100m";
  c["resources"]["requests"]["memory"] = "64Mi";
  c["resources"]["limits"]["memory"] = "256Mi";
  YAML::Node sc;
  sc["allowPrivilegeEscalation"] = false;
  sc["readOnlyRootFilesystem"] = true;
  sc["runAsNonRoot"] = true;
  sc["runAsUser"] = 101;
  sc["runAsGroup"] = 1001;
  sc["capabilities"]["drop"].push_back("ALL");
  sc["seccompProfile"]["type"] = "RuntimeDefault";
  c["securityContext"] = sc;
  if (!completion_socket.empty()) {
    YAML::Node mount;
    mount["name"] = kRunVolume;
    mount["mountPath"] = SocketDir(completion_socket);
    c["volumeMounts"].push_back(mount);
  }
  if (o.native_sidecar) c["restartPolicy"] = "Always";
  return c;
}

}  // namespace eppb::render
