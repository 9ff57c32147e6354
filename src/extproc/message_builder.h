// Turns a BridgeRequest into the ext_proc messages Envoy's filter would send
// in FULL_DUPLEX_STREAMED mode: headers (with protocol_config on the first
// message), then the body in chunks, end_of_stream on the last one. The
// subset hint rides on every message as metadata_context.
#pragma once

#include <cstddef>
#include <functional>

#include "common/bridge_request.h"
#include "envoy/service/ext_proc/v3/external_processor.pb.h"

namespace eppb {

namespace extproc = envoy::service::ext_proc::v3;

class MessageBuilder {
 public:
  using Sink = std::function<void(extproc::ProcessingRequest&&)>;

  explicit MessageBuilder(size_t chunk_bytes) : chunk_bytes_(chunk_bytes) {}

  // Emits every message of the request phase, in order.
  void Build(const BridgeRequest& request, const Sink& sink) const;

 private:
  size_t chunk_bytes_;
};

}  // namespace eppb
