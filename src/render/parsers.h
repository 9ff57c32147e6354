// The parse step: Gateway API and Inference Extension objects, read from
// their Manifests into the model of gateway_model.h. Every error names the
// object and the field.
#pragma once

#include <string>
#include <vector>

#include "render/gateway_model.h"
#include "render/manifest.h"

namespace eppb::render {

// A gateway.networking.k8s.io Gateway (v1 or v1beta1); gateway_parser.cc.
class GatewayParser {
 public:
  static constexpr const char* kGroup = "gateway.networking.k8s.io";
  static bool Parse(const Manifest& m, Gateway* out, std::string* error);
};

// A gateway.networking.k8s.io HTTPRoute (v1 or v1beta1); http_route_parser.cc.
// Fields that render cannot express in NGINX are errors (filters, header,
// query and method matches, regular expressions); fields it does not apply
// are warnings.
class HttpRouteParser {
 public:
  static bool Parse(const Manifest& m, HttpRoute* out, std::vector<std::string>* warnings,
                    std::string* error);
};

// An inference.networking.k8s.io/v1 InferencePool (GIE api/v1);
// inference_pool_parser.cc.
class InferencePoolParser {
 public:
  static constexpr const char* kGroup = "inference.networking.k8s.io";
  // The v1alpha2 group: named in errors so that a user on the old API knows why.
  static constexpr const char* kAlphaGroup = "inference.networking.x-k8s.io";

  // False with *error naming the object and the field.
  static bool Parse(const Manifest& m, InferencePool* out, std::string* error);
};

}  // namespace eppb::render
