// The seam between the bridge and the transport: one ext_proc stream per
// request. The bridge depends only on these interfaces, so the unit tests
// drive the Exchange with a scripted stream (tests/unit/scripted_stream.h)
// and the gRPC implementation stays in one small file.
#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <memory>

#include "common/epp_target.h"
#include "envoy/service/ext_proc/v3/external_processor.pb.h"

namespace eppb {

namespace extproc = envoy::service::ext_proc::v3;

// Receives what the EPP sends. Called on the transport's threads (gRPC's),
// never concurrently for one stream; implementations do no more than hand
// the event to their own executor (Exchange: one post to its strand).
class ExtProcStreamCallbacks {
 public:
  virtual ~ExtProcStreamCallbacks() = default;
  // The reply is the callee's (moved, not copied, out of the transport's buffer).
  virtual void OnReply(extproc::ProcessingResponse reply) = 0;
  // The stream is over; called exactly once, last.
  virtual void OnStreamDone(const grpc::Status& status) = 0;
  // The same, from a transport that calls them outside its own framing code,
  // on a worker's loop (the HTTP/2 transport, after a read): an exchange on
  // that loop may handle them at once instead of posting. The reply is the
  // transport's, valid for the call only (a callee that keeps it copies it).
  virtual void OnReplyInPlace(const extproc::ProcessingResponse& reply) { OnReply(reply); }
  virtual void OnStreamDoneInPlace(const grpc::Status& status) { OnStreamDone(status); }
};

// The data-plane side of one stream, called from the owner's executor (the
// Exchange's strand). After Close() only Cancel() still acts: it ends a
// stream the EPP does not end (linger expiry, shutdown). After the stream's
// end every call is ignored.
class ExtProcStream {
 public:
  virtual ~ExtProcStream() = default;
  // Queues a message; messages are written in order, one at a time. The
  // message is the caller's: a transport that keeps it copies it (the
  // HTTP/2 one serialises it at once, on its loop).
  virtual void Send(const extproc::ProcessingRequest& message) = 0;
  // Half-closes after the queued messages are written; the EPP ends the stream.
  virtual void Close() = 0;
  // Send, then Close: the message carries the half-close (one write, not two).
  virtual void SendLast(const extproc::ProcessingRequest& message) = 0;
  // Ends the stream at once (RST_STREAM); queued messages are dropped. Works
  // after Close() too, until the stream has ended.
  virtual void Cancel() = 0;
};

// Opens streams to EPP targets over long-lived shared channels.
class ExtProcClient {
 public:
  virtual ~ExtProcClient() = default;
  // Why a stream could not be started.
  enum class Refusal {
    kTooManyTargets,  // no channel for another EPP target
    kNotServing,      // the EPP's health service says NOT_SERVING
  };
  // Starts a stream. `max_lifetime` bounds it no matter what either side does.
  // nullptr (with `refusal` set) when no stream was started.
  virtual std::shared_ptr<ExtProcStream> Start(const EppTarget& target,
                                               std::shared_ptr<ExtProcStreamCallbacks> callbacks,
                                               std::chrono::milliseconds max_lifetime,
                                               Refusal* refusal) = 0;
};

}  // namespace eppb
