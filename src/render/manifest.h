// The read step: Kubernetes objects from a stream of YAML documents (as
// `kubectl` or Helm writes them). A Manifest is one object, with where it came
// from (for error messages) and whether it is written back out.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace eppb::render {

class Manifest {
 public:
  Manifest(YAML::Node node, std::string source, bool passthrough, std::string default_namespace);

  YAML::Node& node() { return node_; }
  const YAML::Node& node() const { return node_; }
  const std::string& source() const { return source_; }
  // Written to the output (read from stdin or a positional file) rather than
  // read for reference only (--context).
  bool passthrough() const { return passthrough_; }

  std::string api_version() const;
  std::string kind() const;
  std::string name() const;
  // metadata.namespace, or the default namespace when it is not set.
  std::string ns() const;
  // "HTTPRoute default/llm-route".
  std::string Describe() const;
  // True for apiVersion "group/version" with this group (core: group "").
  bool IsGroupKind(const std::string& group, const std::string& kind) const;

 private:
  YAML::Node node_;
  std::string source_;
  bool passthrough_;
  std::string default_namespace_;
};

// Reads YAML documents into Manifests. yaml-cpp's exceptions stop here and
// become one error line naming the source, the document and the position.
class ManifestReader {
 public:
  ManifestReader(std::string default_namespace)
      : default_namespace_(std::move(default_namespace)) {}

  // Appends the objects of `text` (a `kind: List` contributes its items).
  // Empty documents are skipped.
  bool Read(const std::string& text, const std::string& source, bool passthrough,
            std::vector<Manifest>* out, std::string* error) const;

 private:
  bool Add(const YAML::Node& doc, const std::string& where, bool passthrough,
           std::vector<Manifest>* out, std::string* error) const;
  std::string default_namespace_;
};

}  // namespace eppb::render
