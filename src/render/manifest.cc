#include "render/manifest.h"

#include "render/field_reader.h"

namespace eppb::render {

Manifest::Manifest(YAML::Node node, std::string source, bool passthrough,
                   std::string default_namespace)
    : node_(std::move(node)),
      source_(std::move(source)),
      passthrough_(passthrough),
      default_namespace_(std::move(default_namespace)) {}

std::string Manifest::api_version() const { return ScalarOr(At(node_, {"apiVersion"}), ""); }

std::string Manifest::kind() const { return ScalarOr(At(node_, {"kind"}), ""); }

std::string Manifest::name() const { return ScalarOr(At(node_, {"metadata", "name"}), ""); }

std::string Manifest::ns() const {
  std::string n = ScalarOr(At(node_, {"metadata", "namespace"}), "");
  return n.empty() ? default_namespace_ : n;
}

std::string Manifest::Describe() const {
  std::string k = kind().empty() ? "object" : kind();
  std::string n = name().empty() ? "(no name)" : name();
  return k + " " + ns() + "/" + n;
}

bool Manifest::IsGroupKind(const std::string& group, const std::string& k) const {
  if (kind() != k) return false;
  const std::string av = api_version();
  const auto slash = av.find('/');
  const std::string g = slash == std::string::npos ? "" : av.substr(0, slash);
  return g == group;
}

}  // namespace eppb::render
