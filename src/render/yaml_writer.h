// Writes manifests as YAML documents: block style, multi-line strings as
// literal blocks (an nginx.conf stays readable), and scalars that were quoted
// in the input quoted again (so "80" stays a string and 80 a number).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace eppb::render {

class YamlWriter {
 public:
  // One "---"-separated stream of the documents.
  static std::string Write(const std::vector<YAML::Node>& documents);
  // A string scalar that is always written quoted.
  static YAML::Node QuotedString(const std::string& value);

 private:
  static void Emit(YAML::Emitter& out, const YAML::Node& node);
};

}  // namespace eppb::render
