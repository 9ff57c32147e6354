#include "render/container_args.h"

namespace eppb::render {

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
