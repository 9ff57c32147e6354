#include "render/routing_plan.h"

namespace eppb::render {

bool Server::HasPools() const {
  for (const auto& l : locations) {
    if (l.action == Location::Action::kPools) return true;
  }
  return false;
}

bool RoutingPlan::HasInferenceRoutes() const {
  for (const auto& s : servers) {
    if (s.HasPools()) return true;
  }
  return false;
}

}  // namespace eppb::render
