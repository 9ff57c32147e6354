#include "render/manifest_reader.h"

#include "render/field_reader.h"

namespace eppb::render {

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
