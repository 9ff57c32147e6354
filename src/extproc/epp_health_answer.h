// How a grpc.health.v1 Check's outcome reads for the request path; the same
// for both EPP transports.
#pragma once

#include <grpcpp/support/status.h>

#include "extproc/epp_health.h"
#include "grpc/health/v1/health.pb.h"

namespace eppb {

// Only an explicit NOT_SERVING refuses traffic: UNKNOWN, SERVICE_UNKNOWN
// (GIE's answer for a name it does not know), UNIMPLEMENTED (no health
// service) and NOT_FOUND (the name unknown to it) say nothing; any other
// failure is a transport one (kUnreachable).
EppHealth EppHealthFromProbe(const grpc::Status& status,
                             const grpc::health::v1::HealthCheckResponse& reply);

}  // namespace eppb
