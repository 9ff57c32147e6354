#include "extproc/epp_health_answer.h"

namespace eppb {

EppHealth EppHealthFromProbe(const grpc::Status& status,
                             const grpc::health::v1::HealthCheckResponse& reply) {
  using grpc::health::v1::HealthCheckResponse;
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      switch (reply.status()) {
        case HealthCheckResponse::SERVING:
          return EppHealth::kServing;
        case HealthCheckResponse::NOT_SERVING:
          return EppHealth::kNotServing;
        default:
          return EppHealth::kUnknown;
      }
    case grpc::StatusCode::UNIMPLEMENTED:  // no health service: nothing to go by
      return EppHealth::kUnknown;
    case grpc::StatusCode::NOT_FOUND:  // the service name is unknown to it
      return EppHealth::kUnknown;
    default:
      return EppHealth::kUnreachable;
  }
}

}  // namespace eppb
