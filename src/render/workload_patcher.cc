#include "render/workload_patcher.h"

#include "render/bridge_container.h"
#include "render/field_reader.h"
#include "render/yaml_writer.h"

namespace eppb::render {

namespace {

// Copies `list` without the items whose `name` is `name`; true if one was dropped.
bool DropNamed(YAML::Node parent, const char* field, const std::string& name) {
  const YAML::Node& cparent = parent;
  const YAML::Node list = cparent[field];
  if (!list.IsDefined() || !list.IsSequence()) return false;
  YAML::Node kept(YAML::NodeType::Sequence);
  bool dropped = false;
  for (const auto& item : list) {
    if (ScalarOr(At(item, {"name"}), "") == name) {
      dropped = true;
    } else {
      kept.push_back(item);
    }
  }
  if (!dropped) return false;
  if (kept.size() == 0) {
    parent.remove(field);
  } else {
    parent[field] = kept;
  }
  return true;
}

bool HasNamed(const YAML::Node& list, const std::string& name) {
  if (!list.IsDefined() || !list.IsSequence()) return false;
  for (const auto& item : list) {
    if (ScalarOr(At(item, {"name"}), "") == name) return true;
  }
  return false;
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

std::string WorkloadPatcher::CompletionSocket(const Manifest& workload) const {
  const YAML::Node pod = At(workload.node(), {"spec", "template", "spec"});
  if (pod.IsMap()) {
    const YAML::Node bridge = FindBridge(pod);
    if (bridge.IsDefined()) return BridgeContainer::CompletionSocketOf(bridge);
  }
  return options_.completion_socket;
}

bool WorkloadPatcher::Patch(Manifest* workload, bool need_bridge,
                            const std::string& completion_socket, const std::string& config_hash,
                            std::string* error) const {
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
  meta["annotations"][kConfigHashAnnotation] = YamlWriter::QuotedString(config_hash);

  const std::string volume = BridgeContainer::kRunVolume;
  if (!need_bridge) {
    DropNamed(spec, "containers", options_.bridge_container);
    DropNamed(spec, "initContainers", options_.bridge_container);
    DropNamed(spec, "volumes", volume);
    for (auto c : spec["containers"]) DropNamed(c, "volumeMounts", volume);
    return true;
  }
  const YAML::Node& cspec = spec;
  if (!FindBridge(cspec).IsDefined()) {
    YAML::Node bridge = BridgeContainer::Build(options_, completion_socket);
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
  if (completion_socket.empty()) return true;
  if (!HasNamed(cspec["volumes"], volume)) {
    YAML::Node v;
    v["name"] = volume;
    v["emptyDir"] = YAML::Node(YAML::NodeType::Map);
    spec["volumes"].push_back(v);
  }
  const YAML::Node& cnginx = nginx;
  if (!HasNamed(cnginx["volumeMounts"], volume)) {
    YAML::Node m;
    m["name"] = volume;
    m["mountPath"] = BridgeContainer::SocketDir(completion_socket);
    nginx["volumeMounts"].push_back(m);
  }
  return true;
}

}  // namespace eppb::render
