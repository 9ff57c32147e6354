// What an EPP's grpc.health.v1 service last said, as the request path reads
// it. Written by the channel monitor, read by every exchange's start.
#pragma once

#include <atomic>
#include <memory>

namespace eppb {

enum class EppHealth {
  kUnknown,      // not probed yet, probing off, no health service, or the name unknown to it
  kServing,      // SERVING
  kNotServing,   // NOT_SERVING: refuse at once
  kUnreachable,  // the probe failed in transport; connectivity decides, not health
};

const char* EppHealthName(EppHealth h);

using SharedEppHealth = std::shared_ptr<std::atomic<EppHealth>>;

}  // namespace eppb
