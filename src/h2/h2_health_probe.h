// One grpc.health.v1.Health/Check call to an EPP over the HTTP/2 transport:
// the stream it rides on and the reading of its answer.
//
// Threads: the pool's loop only (the pool starts probes and hears their
// end there). Lifetime: the stream holds the probe until the stream ends.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "extproc/epp_health.h"
#include "extproc/ext_proc_stream.h"
#include "grpc/health/v1/health.pb.h"
#include "h2/h2_client_options.h"
#include "h2/h2_executor.h"
#include "h2/h2_stream.h"

namespace eppb {

class H2HealthProbe final : public ExtProcStreamCallbacks {
 public:
  // Called once, on the loop, with the answer as the request path reads
  // it and the call's status (for the log).
  using Done = std::function<void(EppHealth health, const grpc::Status& status)>;

  // A stream carrying one Check for `service`, bounded by `timeout`, for the
  // pool to place on one of the target's connections.
  static std::shared_ptr<H2Stream> NewStream(H2Executor loop, const std::string& service,
                                             std::chrono::milliseconds timeout,
                                             const H2ClientOptions& options, Done done);

  explicit H2HealthProbe(Done done) : done_(std::move(done)) {}
  // Never called: the answer arrives raw, to OnMessage.
  void OnReply(extproc::ProcessingResponse) override {}
  void OnStreamDone(const grpc::Status& status) override;

 private:
  bool OnMessage(std::string_view bytes);

  grpc::health::v1::HealthCheckResponse reply_;  // the last message (one expected)
  Done done_;                                    // called once, then dropped
};

}  // namespace eppb
