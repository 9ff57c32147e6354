// Reads a gateway.networking.k8s.io Gateway (v1 or v1beta1).
#pragma once

#include <string>

#include "render/gateway_model.h"
#include "render/manifest.h"

namespace eppb::render {

class GatewayParser {
 public:
  static constexpr const char* kGroup = "gateway.networking.k8s.io";
  static bool Parse(const Manifest& m, Gateway* out, std::string* error);
};

}  // namespace eppb::render
