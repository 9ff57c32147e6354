// The Service render emits for a FailOpen InferencePool: it selects the
// pool's Pods on the pool's target ports, so that NGINX's fallback upstream
// has a stable address when the EPP gives no decision.
#pragma once

#include <yaml-cpp/yaml.h>

#include "render/gateway_model.h"
#include "render/routing_plan.h"

namespace eppb::render {

class FallbackService {
 public:
  static YAML::Node Build(const InferencePool& pool, const PoolTarget& target);
};

}  // namespace eppb::render
