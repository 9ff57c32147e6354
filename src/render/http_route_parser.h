// Reads a gateway.networking.k8s.io HTTPRoute (v1 or v1beta1). Fields that
// render cannot express in NGINX are errors (filters, header, query and
// method matches, regular expressions); fields it does not apply are warnings.
#pragma once

#include <string>
#include <vector>

#include "render/gateway_model.h"
#include "render/manifest.h"

namespace eppb::render {

class HttpRouteParser {
 public:
  static bool Parse(const Manifest& m, HttpRoute* out, std::vector<std::string>* warnings,
                    std::string* error);
};

}  // namespace eppb::render
