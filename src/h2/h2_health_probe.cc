#include "h2/h2_health_probe.h"

#include "extproc/epp_health_answer.h"
#include "observe/entry_guard.h"

namespace eppb {

namespace {
constexpr const char* kCheckPath = "/grpc.health.v1.Health/Check";
}  // namespace

std::shared_ptr<H2Stream> H2HealthProbe::NewStream(H2Executor loop, const std::string& service,
                                                   std::chrono::milliseconds timeout,
                                                   const H2ClientOptions& options, Done done) {
  auto probe = std::make_shared<H2HealthProbe>(std::move(done));
  auto stream = std::make_shared<H2Stream>(loop, probe, timeout, options, nullptr);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  std::string bytes;
  request.SerializeToString(&bytes);  // a short string field: cannot fail
  stream->PrepareUnary(kCheckPath, bytes,
                       [probe](std::string_view reply) { return probe->OnMessage(reply); });
  return stream;
}

bool H2HealthProbe::OnMessage(std::string_view bytes) {
  // The decoder bounds the message by the receive limit.
  return reply_.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

void H2HealthProbe::OnStreamDone(const grpc::Status& status) {
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) Guarded("h2-health-done", [&] { done(EppHealthFromProbe(status, reply_), status); });
}

}  // namespace eppb
