// Turns a BridgeRequest into the ext_proc messages Envoy's filter would send
// in FULL_DUPLEX_STREAMED mode: headers (with protocol_config on the first
// message), then the body in chunks, end_of_stream on the last one. The
// subset hint rides on every message as metadata_context. A body that is
// still arriving is cut into the same chunks as a whole one: Headers first,
// then Body each time more of it is in, and once more with `end`.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "common/bridge_request.h"
#include "envoy/service/ext_proc/v3/external_processor.pb.h"

namespace eppb {

namespace extproc = envoy::service::ext_proc::v3;

class MessageBuilder {
 public:
  // Gets each message in turn; it is valid for the call only (the headers
  // message is the calling thread's, reused by its next request).
  using Sink = std::function<void(const extproc::ProcessingRequest&)>;

  explicit MessageBuilder(size_t chunk_bytes) : chunk_bytes_(chunk_bytes) {}

  // Emits every message of the request phase, in order.
  void Build(const BridgeRequest& request, const Sink& sink) const;
  // The first message: protocol_config and the headers; end_of_stream when
  // no body follows.
  void Headers(const BridgeRequest& request, bool end_of_stream, const Sink& sink) const;
  // The chunks of `body` from `*sent` on: only whole chunks with more bytes
  // behind them, unless `end`, when the rest goes too and the last chunk
  // carries end_of_stream. Advances `*sent`.
  void Body(const BridgeRequest& request, std::string_view body, size_t* sent, bool end,
            const Sink& sink) const;

 private:
  // A thread keeps the headers message of its last request for the next one,
  // unless its names and values came to more than this.
  static constexpr size_t kKeptHeaderBytes = 16 * 1024;
  size_t chunk_bytes_;
};

}  // namespace eppb
