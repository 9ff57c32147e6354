#include "render/workload_patcher.h"

#include "render/bridge_container.h"
#include "render/completion_wiring.h"
#include "render/field_reader.h"
#include "render/pod_volumes.h"
#include "render/yaml_writer.h"

namespace eppb::render {

namespace {

// Drops the items of `list` whose `name` is `name`.
void DropNamed(YAML::Node parent, const char* field, const std::string& name) {
  const YAML::Node& cparent = parent;
  const YAML::Node list = cparent[field];
  if (!list.IsDefined() || !list.IsSequence()) return;
  YAML::Node kept(YAML::NodeType::Sequence);
  for (const auto& item : list) {
    if (ScalarOr(At(item, {"name"}), "") != name) kept.push_back(item);
  }
  if (kept.size() == list.size()) return;
  if (kept.size() == 0) {
    parent.remove(field);
  } else {
    parent[field] = kept;
  }
}

}  // namespace

YAML::Node WorkloadPatcher::FindBridge(const YAML::Node& pod_spec) const {
  for (const char* field : {"containers", "initContainers"}) {
    const YAML::Node list = pod_spec[field];
    if (!list.IsDefined() || !list.IsSequence()) continue;
    for (const auto& c : list) {
      if (ScalarOr(At(c, {"name"}), "") == options_.bridge_container) return c;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool WorkloadPatcher::CompletionSocket(const Manifest* workload, std::string* socket,
                                       std::string* error) const {
  std::string source;
  std::optional<std::string> value;
  const YAML::Node pod =
      workload ? At(workload->node(), {"spec", "template", "spec"}) : YAML::Node();
  const YAML::Node bridge = pod.IsMap() ? FindBridge(pod) : YAML::Node(YAML::NodeType::Undefined);
  if (bridge.IsDefined()) {
    value = ContainerArgs::Value(bridge, "--completion-socket").value_or("");
    source = "the " + workload->Describe() + " container " + options_.bridge_container + "'s";
  } else if ((value = ContainerArgs::Value(options_.bridge_args, "--completion-socket"))) {
    source = "--bridge-arg";
  }
  if (!value) {
    *socket = options_.completion_socket;
    return true;
  }
  if (options_.completion_socket_set && options_.completion_socket != *value) {
    *error = "--completion-socket \"" + options_.completion_socket + "\" differs from " + source +
             " --completion-socket \"" + *value + "\"";
    return false;
  }
  if (!value->empty() && value->front() != '/') {
    *error = source + " --completion-socket must be an absolute path (got \"" + *value + "\")";
    return false;
  }
  *socket = *value;
  return true;
}

bool WorkloadPatcher::Patch(Manifest* workload, const PodPlan& plan, std::string* error) const {
  FieldReader root(workload->node(), workload->Describe(), "");
  const FieldReader pod = root["spec"]["template"]["spec"];
  if (!pod.Map(true, error)) return false;
  const FieldReader containers = pod["containers"];
  if (!containers.Sequence(true, error)) return false;
  YAML::Node nginx;
  for (size_t i = 0; i < containers.size(); ++i) {
    if (ScalarOr(At(containers.Item(i).node(), {"name"}), "") == options_.nginx_container) {
      nginx = containers.Item(i).node();
    }
  }
  if (!nginx.IsDefined() || nginx.IsNull()) {
    *error = containers.Error("no container named \"" + options_.nginx_container +
                              "\" (--nginx-container)");
    return false;
  }
  YAML::Node spec = workload->node()["spec"]["template"]["spec"];
  YAML::Node meta = workload->node()["spec"]["template"]["metadata"];
  meta["annotations"][kConfigHashAnnotation] = YamlWriter::QuotedString(plan.config_hash);
  const std::string where = workload->Describe() + ": container " + options_.nginx_container;

  if (!plan.need_bridge) {
    DropNamed(spec, "containers", options_.bridge_container);
    DropNamed(spec, "initContainers", options_.bridge_container);
    PodVolumes::Drop(spec, BridgeContainer::kRunVolume);
    return NginxContainerPatcher(options_).Patch(spec, nginx, where, plan.config_maps, false,
                                                 error);
  }
  const YAML::Node& cspec = spec;
  if (!FindBridge(cspec).IsDefined()) {
    YAML::Node bridge = BridgeContainer::Build(options_, plan.completion_socket);
    if (options_.native_sidecar) {
      // A native sidecar starts before NGINX and stops after it.
      YAML::Node inits(YAML::NodeType::Sequence);
      inits.push_back(bridge);
      const YAML::Node old = cspec["initContainers"];
      if (old.IsDefined() && old.IsSequence()) {
        for (const auto& c : old) inits.push_back(c);
      }
      spec["initContainers"] = inits;
    } else {
      spec["containers"].push_back(bridge);
    }
  }
  if (!NginxContainerPatcher(options_).Patch(spec, nginx, where, plan.config_maps, true, error)) {
    return false;
  }
  if (plan.completion_socket.empty()) return true;
  return CompletionWiring(options_).Patch(spec, nginx, FindBridge(cspec), plan.completion_socket,
                                          workload->Describe(), plan.lowest_port, error);
}

}  // namespace eppb::render
