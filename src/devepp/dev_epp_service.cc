#include "devepp/dev_epp_service.h"

#include "devepp/dev_epp_stream.h"

namespace eppb {

grpc::ServerBidiReactor<envoy::service::ext_proc::v3::ProcessingRequest,
                        envoy::service::ext_proc::v3::ProcessingResponse>*
DevEppService::Process(grpc::CallbackServerContext* ctx) {
  return new DevEppStream(this, ctx);
}

}  // namespace eppb
