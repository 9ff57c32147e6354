// Typed, checked access to one field of a manifest. Every error names the
// object and the field: "HTTPRoute default/llm-route: spec.rules[0].matches[0].path.type:
// must be one of Exact, PathPrefix (got \"Regex\")". Reads only; a missing or
// null field is "absent".
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace eppb::render {

// The node's scalar text, or `fallback` when it is absent or not a scalar.
std::string ScalarOr(const YAML::Node& node, const std::string& fallback);
// node[k1][k2]..., or an undefined node as soon as one step is not a mapping
// or lacks the key. Never throws (yaml-cpp throws on a missing key's child).
YAML::Node At(const YAML::Node& node, std::initializer_list<const char*> path);

class FieldReader {
 public:
  FieldReader(YAML::Node node, std::string object, std::string path);

  // A field of this map ("spec" → "spec.selector"); absent when this is not a map.
  FieldReader operator[](const std::string& key) const;
  // An item of this sequence ("rules" → "rules[2]").
  FieldReader Item(size_t index) const;

  bool present() const;
  size_t size() const;  // items of a sequence, 0 otherwise
  const std::string& path() const { return path_; }
  const YAML::Node& node() const { return node_; }

  // "OBJECT: PATH: message".
  std::string Error(const std::string& message) const;

  // The following return false with *error set when the field has the wrong
  // shape; an absent optional field leaves *out at its default.
  bool Map(bool required, std::string* error) const;
  bool Sequence(bool required, std::string* error) const;
  bool String(std::string* out, bool required, std::string* error) const;
  bool Int(int64_t* out, int64_t min, int64_t max, bool required, std::string* error) const;
  // One of `allowed`; *out keeps its default when absent.
  bool Enum(std::string* out, const std::vector<std::string>& allowed, std::string* error) const;

 private:
  YAML::Node node_;
  std::string object_;
  std::string path_;
};

// The command line of a container (command, then args) and the value of a
// flag in it, in either form ("--flag value", "--flag=value"; NGINX's "-c
// value").
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
