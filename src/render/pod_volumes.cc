#include "render/pod_volumes.h"

#include "render/field_reader.h"

namespace eppb::render {

namespace {

YAML::Node Find(const YAML::Node& list, const char* key, const std::string& value) {
  if (list.IsDefined() && list.IsSequence()) {
    for (const auto& item : list) {
      if (ScalarOr(At(item, {key}), "") == value) return item;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node Field(const YAML::Node& map, const char* key) {
  if (!map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return map[key];
}

}  // namespace

std::string PodVolumes::Clean(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

YAML::Node PodVolumes::MountAt(const YAML::Node& container, const std::string& path) {
  const YAML::Node mounts = Field(container, "volumeMounts");
  if (mounts.IsDefined() && mounts.IsSequence()) {
    for (const auto& m : mounts) {
      if (Clean(ScalarOr(At(m, {"mountPath"}), "")) == Clean(path)) return m;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node PodVolumes::MountCovering(const YAML::Node& container, const std::string& path) {
  const std::string want = Clean(path);
  YAML::Node best(YAML::NodeType::Undefined);
  size_t best_len = 0;
  const YAML::Node mounts = Field(container, "volumeMounts");
  if (!mounts.IsDefined() || !mounts.IsSequence()) return best;
  for (const auto& m : mounts) {
    const std::string mp = Clean(ScalarOr(At(m, {"mountPath"}), ""));
    if (mp.empty()) continue;
    const bool covers = want == mp || (want.rfind(mp == "/" ? mp : mp + "/", 0) == 0);
    if (covers && mp.size() >= best_len) {
      best.reset(m);
      best_len = mp.size();
    }
  }
  return best;
}

YAML::Node PodVolumes::MountOf(const YAML::Node& container, const std::string& name) {
  return Find(Field(container, "volumeMounts"), "name", name);
}

YAML::Node PodVolumes::Volume(const YAML::Node& pod_spec, const std::string& name) {
  return Find(Field(pod_spec, "volumes"), "name", name);
}

std::vector<std::string> PodVolumes::ConfigMapsOf(const YAML::Node& volume) {
  std::vector<std::string> out;
  const std::string direct = ScalarOr(At(volume, {"configMap", "name"}), "");
  if (!direct.empty()) out.push_back(direct);
  const YAML::Node sources = At(volume, {"projected", "sources"});
  if (sources.IsDefined() && sources.IsSequence()) {
    for (const auto& s : sources) {
      const std::string n = ScalarOr(At(s, {"configMap", "name"}), "");
      if (!n.empty()) out.push_back(n);
    }
  }
  return out;
}

void PodVolumes::AddMount(YAML::Node container, const std::string& volume, const std::string& path,
                          bool read_only) {
  YAML::Node m;
  m["name"] = volume;
  m["mountPath"] = Clean(path);
  if (read_only) m["readOnly"] = true;
  container["volumeMounts"].push_back(m);
}

void PodVolumes::SetVolume(YAML::Node pod_spec, const YAML::Node& volume) {
  const std::string name = ScalarOr(At(volume, {"name"}), "");
  YAML::Node list = pod_spec["volumes"];
  if (list.IsDefined() && list.IsSequence()) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (ScalarOr(At(list[i], {"name"}), "") == name) {
        list[i] = volume;
        return;
      }
    }
  }
  pod_spec["volumes"].push_back(volume);
}

void PodVolumes::Drop(YAML::Node pod_spec, const std::string& volume) {
  auto drop = [&](YAML::Node parent, const char* field) {
    const YAML::Node& cparent = parent;
    const YAML::Node list = cparent[field];
    if (!list.IsDefined() || !list.IsSequence()) return;
    YAML::Node kept(YAML::NodeType::Sequence);
    for (const auto& item : list) {
      if (ScalarOr(At(item, {"name"}), "") != volume) kept.push_back(item);
    }
    if (kept.size() == list.size()) return;
    if (kept.size() == 0) {
      parent.remove(field);
    } else {
      parent[field] = kept;
    }
  };
  drop(pod_spec, "volumes");
  for (const char* field : {"containers", "initContainers"}) {
    const YAML::Node& cspec = pod_spec;
    YAML::Node list = cspec[field];
    if (!list.IsDefined() || !list.IsSequence()) continue;
    for (auto c : list) drop(c, "volumeMounts");
  }
}

YAML::Node PodVolumes::ConfigMapVolume(const std::string& name,
                                       const std::vector<std::string>& config_maps) {
  YAML::Node v;
  v["name"] = name;
  if (config_maps.size() == 1) {
    v["configMap"]["name"] = config_maps[0];
    return v;
  }
  for (const auto& cm : config_maps) {
    YAML::Node s;
    s["configMap"]["name"] = cm;
    v["projected"]["sources"].push_back(s);
  }
  return v;
}

YAML::Node PodVolumes::EmptyDirVolume(const std::string& name) {
  YAML::Node v;
  v["name"] = name;
  v["emptyDir"] = YAML::Node(YAML::NodeType::Map);
  return v;
}

}  // namespace eppb::render
