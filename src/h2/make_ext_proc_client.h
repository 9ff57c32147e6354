// The one place that picks the EPP transport (--epp-transport).
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "common/tls_config.h"
#include "extproc/channel_registry.h"
#include "extproc/tracked_ext_proc_client.h"
#include "h2/h2_client_options.h"

namespace eppb {

// "grpc": gRPC C++ over `registry`'s channels; "h2": HTTP/2 on nghttp2 on
// `io`'s threads (the client must be destroyed before `io`). nullptr with
// *error when the transport is unknown or its TLS files cannot be loaded.
std::unique_ptr<TrackedExtProcClient> MakeExtProcClient(
    const std::string& transport, ChannelRegistry* registry, boost::asio::io_context& io,
    const TlsConfig& tls, const H2ClientOptions& h2, std::string* error);

}  // namespace eppb
