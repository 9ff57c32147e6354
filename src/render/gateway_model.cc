#include "render/gateway_model.h"

namespace eppb::render {

bool HttpRoute::ReferencesInferencePool() const {
  for (const auto& rule : rules) {
    for (const auto& b : rule.backends) {
      if (b.kind == BackendRef::Kind::kInferencePool) return true;
    }
  }
  return false;
}

}  // namespace eppb::render
