// Volumes of a Pod spec and the mounts of its containers: lookups that never
// throw, and additions that keep what is there.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace eppb::render {

class PodVolumes {
 public:
  // The container's mount at exactly `path` (trailing '/' ignored), or undefined.
  static YAML::Node MountAt(const YAML::Node& container, const std::string& path);
  // The container's mount whose mountPath is `path` or a directory above it.
  static YAML::Node MountCovering(const YAML::Node& container, const std::string& path);
  // The container's mount of volume `name`, or undefined.
  static YAML::Node MountOf(const YAML::Node& container, const std::string& name);
  static YAML::Node Volume(const YAML::Node& pod_spec, const std::string& name);
  // ConfigMaps a configMap or projected volume takes its files from.
  static std::vector<std::string> ConfigMapsOf(const YAML::Node& volume);

  static void AddMount(YAML::Node container, const std::string& volume, const std::string& path,
                       bool read_only);
  // Replaces a volume of that name, or appends it.
  static void SetVolume(YAML::Node pod_spec, const YAML::Node& volume);
  // Drops the volume and every container's mount of it.
  static void Drop(YAML::Node pod_spec, const std::string& volume);
  // A projected volume of these ConfigMaps (one: a configMap volume).
  static YAML::Node ConfigMapVolume(const std::string& name,
                                    const std::vector<std::string>& config_maps);
  static YAML::Node EmptyDirVolume(const std::string& name);
  // "/a/b/" → "/a/b".
  static std::string Clean(const std::string& path);
};

}  // namespace eppb::render
