// Reads a stream of YAML documents (as `kubectl` or Helm writes them) into
// Manifests. yaml-cpp's exceptions stop here and become one error line
// naming the source, the document and the position.
#pragma once

#include <string>
#include <vector>

#include "render/manifest.h"

namespace eppb::render {

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
