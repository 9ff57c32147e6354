#include "h2/make_ext_proc_client.h"

#include "extproc/grpc_ext_proc_client.h"
#include "h2/h2_ext_proc_client.h"

namespace eppb {

std::unique_ptr<TrackedExtProcClient> MakeExtProcClient(const std::string& transport,
                                                        ChannelRegistry* registry,
                                                        WorkerLoops& loops, const TlsConfig& tls,
                                                        const H2ClientOptions& h2,
                                                        std::string* error) {
  if (transport == "grpc") return std::make_unique<GrpcExtProcClient>(registry);
  if (transport == "h2") return H2ExtProcClient::Create(loops, tls, h2, error);
  *error = "unknown EPP transport '" + transport + "' (grpc or h2)";
  return nullptr;
}

}  // namespace eppb
