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

bool ManifestReader::Add(const YAML::Node& doc, const std::string& where, bool passthrough,
                         std::vector<Manifest>* out, std::string* error) const {
  if (!doc.IsDefined() || doc.IsNull()) return true;
  if (!doc.IsMap()) {
    *error = where + ": not a Kubernetes object (a YAML mapping)";
    return false;
  }
  const std::string api = ScalarOr(At(doc, {"apiVersion"}), "");
  const std::string kind = ScalarOr(At(doc, {"kind"}), "");
  if (api.empty() || kind.empty()) {
    *error = where + ": apiVersion and kind are required";
    return false;
  }
  if (api == "v1" && kind == "List") {
    const YAML::Node items = At(doc, {"items"});
    if (items.IsDefined() && !items.IsNull() && !items.IsSequence()) {
      *error = where + ": items: must be a list";
      return false;
    }
    for (size_t i = 0; items.IsSequence() && i < items.size(); ++i) {
      if (!Add(items[i], where + ": items[" + std::to_string(i) + "]", passthrough, out, error)) {
        return false;
      }
    }
    return true;
  }
  if (ScalarOr(At(doc, {"metadata", "name"}), "").empty()) {
    *error = where + ": " + kind + ": metadata.name is required";
    return false;
  }
  out->emplace_back(doc, where, passthrough, default_namespace_);
  return true;
}

bool ManifestReader::Read(const std::string& text, const std::string& source, bool passthrough,
                          std::vector<Manifest>* out, std::string* error) const {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    *error = source + ": line " + std::to_string(e.mark.line + 1) + ", column " +
             std::to_string(e.mark.column + 1) + ": " + e.msg;
    return false;
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    if (!Add(docs[i], source + ": document " + std::to_string(i + 1), passthrough, out, error)) {
      return false;
    }
  }
  return true;
}

}  // namespace eppb::render
