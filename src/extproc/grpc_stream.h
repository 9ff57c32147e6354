// The gRPC implementation of ExtProcStream: a ClientBidiReactor.
//
// Lifetime: the reactor keeps itself alive (self_) from Start() until OnDone,
// the one place it lets go; holders of the ExtProcStream handle may keep the
// memory a little longer, but every call after OnDone is a no-op.
// A hold keeps the RPC open while operations may still be started from
// outside reactions (the owner's strand); it is removed exactly once, by
// Close(), Cancel() or the EPP ending the stream. Cancel() after Close()
// still cancels: that is how --linger-ms ends a stream the EPP keeps open.
//
// Threads: the owner's strand calls Send/Close/SendLast/Cancel; gRPC's
// threads run the reactions. mu_ guards only the write queue and its flags
// between the two; it is a leaf lock, never held while calling out (the
// callbacks run outside it) and never taken by the bridge's own state.
#pragma once

#include <grpcpp/grpcpp.h>

#include <deque>
#include <functional>
#include <mutex>

#include "envoy/service/ext_proc/v3/external_processor.grpc.pb.h"
#include "extproc/ext_proc_stream.h"

namespace eppb {

class GrpcStream final
    : public ExtProcStream,
      public grpc::ClientBidiReactor<extproc::ProcessingRequest, extproc::ProcessingResponse>,
      public std::enable_shared_from_this<GrpcStream> {
 public:
  using OnEnd = std::function<void(GrpcStream*)>;
  // `on_end` runs in OnDone after the callbacks, before the reactor lets go.
  static std::shared_ptr<GrpcStream> Start(extproc::ExternalProcessor::Stub* stub,
                                           std::shared_ptr<ExtProcStreamCallbacks> callbacks,
                                           std::chrono::milliseconds max_lifetime, OnEnd on_end);

  void Send(const extproc::ProcessingRequest& message) override;
  void Close() override;
  void SendLast(const extproc::ProcessingRequest& message) override;
  void Cancel() override;

  void OnWriteDone(bool ok) override;
  void OnWritesDoneDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  GrpcStream(std::shared_ptr<ExtProcStreamCallbacks> callbacks, OnEnd on_end);
  void StartNextLocked();    // mu_ held: starts the next write or the half-close
  void ReleaseHoldLocked();  // mu_ held: the single RemoveHold
  void DropQueuedLocked();   // mu_ held: forget unwritten messages

  grpc::ClientContext context_;
  std::shared_ptr<ExtProcStreamCallbacks> callbacks_;  // reset in OnDone
  std::shared_ptr<GrpcStream> self_;                   // reset in OnDone
  OnEnd on_end_;
  extproc::ProcessingResponse reply_;

  std::mutex mu_;
  std::deque<extproc::ProcessingRequest> queue_;  // front is being written while writing_
  bool writing_ = false;                          // a write or the half-close is in flight
  bool close_wanted_ = false;                     // half-close once the queue drains
  bool half_closed_ = false;
  bool hold_released_ = false;  // no more operations from outside reactions
  bool ended_ = false;          // OnDone ran: the call is over, Cancel() has nothing to end
};

}  // namespace eppb
