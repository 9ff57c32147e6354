// Reads an inference.networking.k8s.io/v1 InferencePool (GIE api/v1).
#pragma once

#include <string>

#include "render/gateway_model.h"
#include "render/manifest.h"

namespace eppb::render {

class InferencePoolParser {
 public:
  static constexpr const char* kGroup = "inference.networking.k8s.io";
  // The v1alpha2 group: named in errors so that a user on the old API knows why.
  static constexpr const char* kAlphaGroup = "inference.networking.x-k8s.io";

  // False with *error naming the object and the field.
  static bool Parse(const Manifest& m, InferencePool* out, std::string* error);
};

}  // namespace eppb::render
