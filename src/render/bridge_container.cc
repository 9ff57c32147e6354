#include "render/bridge_container.h"

#include "render/field_reader.h"
#include "render/yaml_writer.h"

namespace eppb::render {

std::string BridgeContainer::SocketDir(const std::string& socket) {
  const auto slash = socket.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return socket.substr(0, slash);
}

std::string BridgeContainer::CompletionSocketOf(const YAML::Node& container) {
  return ContainerArgs::Value(container, "--completion-socket").value_or("");
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
  if (!ContainerArgs::Value(o.bridge_args, "--listen")) {
    args.push_back("--listen");
    args.push_back(o.bridge_address);
  }
  if (!completion_socket.empty() && !ContainerArgs::Value(o.bridge_args, "--completion-socket")) {
    args.push_back("--completion-socket");
    args.push_back(completion_socket);
  }
  for (const auto& a : o.bridge_args) args.push_back(a);
  c["args"] = args;
  // One worker loop per CPU the container requests, rounded up (the
  // downward API rounds up to the divisor); --threads still overrides it.
  YAML::Node threads;
  threads["name"] = "EPP_BRIDGE_THREADS";
  threads["valueFrom"]["resourceFieldRef"]["containerName"] = o.bridge_container;
  threads["valueFrom"]["resourceFieldRef"]["resource"] = "requests.cpu";
  threads["valueFrom"]["resourceFieldRef"]["divisor"] = YamlWriter::QuotedString("1");
  c["env"].push_back(threads);
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
  if (o.native_sidecar) c["restartPolicy"] = "Always";
  return c;
}

}  // namespace eppb::render
