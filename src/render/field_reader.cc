#include "render/field_reader.h"

#include <charconv>

namespace eppb::render {

std::string ScalarOr(const YAML::Node& node, const std::string& fallback) {
  return node.IsDefined() && node.IsScalar() ? node.Scalar() : fallback;
}

YAML::Node At(const YAML::Node& node, std::initializer_list<const char*> path) {
  YAML::Node cur = node;
  for (const char* key : path) {
    const YAML::Node& c = cur;
    if (!c.IsDefined() || !c.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    YAML::Node next = c[key];
    if (!next.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
    cur.reset(next);
  }
  return cur;
}

FieldReader::FieldReader(YAML::Node node, std::string object, std::string path)
    : node_(std::move(node)), object_(std::move(object)), path_(std::move(path)) {}

FieldReader FieldReader::operator[](const std::string& key) const {
  const std::string path = path_.empty() ? key : path_ + "." + key;
  return FieldReader(At(node_, {key.c_str()}), object_, path);
}

FieldReader FieldReader::Item(size_t index) const {
  const std::string path = path_ + "[" + std::to_string(index) + "]";
  const YAML::Node& self = node_;
  if (!self.IsDefined() || !self.IsSequence() || index >= self.size()) {
    return FieldReader(YAML::Node(YAML::NodeType::Undefined), object_, path);
  }
  YAML::Node item;
  item.reset(self[index]);
  return FieldReader(item, object_, path);
}

bool FieldReader::present() const { return node_.IsDefined() && !node_.IsNull(); }

size_t FieldReader::size() const { return present() && node_.IsSequence() ? node_.size() : 0; }

std::string FieldReader::Error(const std::string& message) const {
  return object_ + ": " + (path_.empty() ? "" : path_ + ": ") + message;
}

bool FieldReader::Map(bool required, std::string* error) const {
  if (!present()) {
    if (required) *error = Error("required field is missing");
    return !required;
  }
  if (!node_.IsMap()) {
    *error = Error("must be a mapping");
    return false;
  }
  return true;
}

bool FieldReader::Sequence(bool required, std::string* error) const {
  if (!present()) {
    if (required) *error = Error("required field is missing");
    return !required;
  }
  if (!node_.IsSequence()) {
    *error = Error("must be a list");
    return false;
  }
  return true;
}

bool FieldReader::String(std::string* out, bool required, std::string* error) const {
  if (!present()) {
    if (required) *error = Error("required field is missing");
    return !required;
  }
  if (!node_.IsScalar()) {
    *error = Error("must be a string");
    return false;
  }
  if (required && node_.Scalar().empty()) {
    *error = Error("must not be empty");
    return false;
  }
  *out = node_.Scalar();
  return true;
}

bool FieldReader::Int(int64_t* out, int64_t min, int64_t max, bool required,
                      std::string* error) const {
  if (!present()) {
    if (required) *error = Error("required field is missing");
    return !required;
  }
  const std::string text = node_.IsScalar() ? node_.Scalar() : "";
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    *error = Error("must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                   " (got \"" + text + "\")");
    return false;
  }
  *out = value;
  return true;
}

bool FieldReader::Enum(std::string* out, const std::vector<std::string>& allowed,
                       std::string* error) const {
  std::string value = *out;
  if (!String(&value, false, error)) return false;
  for (const auto& a : allowed) {
    if (value == a) {
      *out = value;
      return true;
    }
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  *error = Error("must be one of " + list + " (got \"" + value + "\")");
  return false;
}

std::vector<std::string> ContainerArgs::Words(const YAML::Node& container) {
  std::vector<std::string> words;
  if (!container.IsMap()) return words;
  for (const char* field : {"command", "args"}) {
    const YAML::Node list = container[field];
    if (!list.IsDefined() || !list.IsSequence()) continue;
    for (const auto& w : list) {
      if (w.IsScalar()) words.push_back(w.Scalar());
    }
  }
  return words;
}

std::optional<std::string> ContainerArgs::Value(const std::vector<std::string>& words,
                                                const std::string& flag) {
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i] == flag) return i + 1 < words.size() ? words[i + 1] : "";
    if (flag.rfind("--", 0) == 0 && words[i].rfind(flag + "=", 0) == 0) {
      return words[i].substr(flag.size() + 1);
    }
  }
  return std::nullopt;
}

}  // namespace eppb::render
