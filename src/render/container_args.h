// The command line of a container (command, then args) and the value of a
// flag in it, in either form ("--flag value", "--flag=value"; NGINX's "-c
// value").
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

namespace eppb::render {

class ContainerArgs {
 public:
  // command + args, scalars only.
  static std::vector<std::string> Words(const YAML::Node& container);
  // The value of `flag` in `words`, or nullopt when the flag is absent.
  static std::optional<std::string> Value(const std::vector<std::string>& words,
                                          const std::string& flag);
  static std::optional<std::string> Value(const YAML::Node& container, const std::string& flag) {
    return Value(Words(container), flag);
  }
};

}  // namespace eppb::render
