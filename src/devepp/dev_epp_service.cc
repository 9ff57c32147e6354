#include "devepp/dev_epp_service.h"

#include "common/happens_before.h"
#include "devepp/dev_epp_stream.h"

namespace eppb {

grpc::ServerBidiReactor<envoy::service::ext_proc::v3::ProcessingRequest,
                        envoy::service::ext_proc::v3::ProcessingResponse>*
DevEppService::Process(grpc::CallbackServerContext* ctx) {
  HappensAfter(this);  // gRPC started the server after the service was set up
  return new DevEppStream(this, ctx);
}

void DevEppService::Track(DevEppStream* stream) {
  std::lock_guard lock(streams_mu_);
  streams_.insert(stream);
}

void DevEppService::Untrack(DevEppStream* stream) {
  std::lock_guard lock(streams_mu_);
  streams_.erase(stream);
}

void DevEppService::EndKeptStreams() {
  std::lock_guard lock(streams_mu_);
  for (auto* s : streams_) s->EndIfKeptOpen();
}

}  // namespace eppb
