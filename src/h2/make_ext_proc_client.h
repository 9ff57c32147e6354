// The one place that picks the EPP transport (--epp-transport).
#pragma once

#include <memory>
#include <string>

#include "common/tls_config.h"
#include "extproc/channel_registry.h"
#include "extproc/tracked_ext_proc_client.h"
#include "h2/h2_client_options.h"
#include "net/worker_loops.h"

namespace eppb {

// "grpc": gRPC C++ over `registry`'s channels; "h2": HTTP/2 on nghttp2, each
// worker loop with its own connections (the client must be destroyed before
// `loops`). nullptr with *error when the transport is unknown or its TLS
// files cannot be loaded.
std::unique_ptr<TrackedExtProcClient> MakeExtProcClient(const std::string& transport,
                                                        ChannelRegistry* registry,
                                                        WorkerLoops& loops, const TlsConfig& tls,
                                                        const H2ClientOptions& h2,
                                                        std::string* error);

}  // namespace eppb
