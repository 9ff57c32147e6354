#include "extproc/grpc_stream.h"

#include "common/happens_before.h"
#include "observe/entry_guard.h"

namespace eppb {

GrpcStream::GrpcStream(std::shared_ptr<ExtProcStreamCallbacks> callbacks, OnEnd on_end)
    : callbacks_(std::move(callbacks)), on_end_(std::move(on_end)) {}

std::shared_ptr<GrpcStream> GrpcStream::Start(extproc::ExternalProcessor::Stub* stub,
                                              std::shared_ptr<ExtProcStreamCallbacks> callbacks,
                                              std::chrono::milliseconds max_lifetime,
                                              OnEnd on_end) {
  std::shared_ptr<GrpcStream> s(new GrpcStream(std::move(callbacks), std::move(on_end)));
  s->self_ = s;
  s->context_.set_deadline(std::chrono::system_clock::now() + max_lifetime);
  // The call's headers go out with the first message (the bridge always
  // writes at once), not in a write of their own.
  s->context_.set_initial_metadata_corked(true);
  stub->async()->Process(&s->context_, s.get());
  s->AddHold();
  s->StartRead(&s->reply_);
  HappensBefore(s.get());  // the call's set-up, before any reaction
  s->StartCall();
  return s;
}

void GrpcStream::Send(const extproc::ProcessingRequest& message) {
  HappensBefore(this);  // what the caller did, before the reactions it starts
  std::lock_guard lock(mu_);
  if (hold_released_ || close_wanted_) return;
  queue_.push_back(message);  // gRPC writes it later: a copy
  if (!writing_) StartNextLocked();
}

void GrpcStream::Close() {
  HappensBefore(this);  // what the caller did, before the reactions it starts
  std::lock_guard lock(mu_);
  if (hold_released_) return;
  close_wanted_ = true;
  if (!writing_) StartNextLocked();
  ReleaseHoldLocked();
}

void GrpcStream::SendLast(const extproc::ProcessingRequest& message) {
  HappensBefore(this);  // what the caller did, before the reactions it starts
  std::lock_guard lock(mu_);
  if (hold_released_ || close_wanted_) return;
  queue_.push_back(message);
  close_wanted_ = true;
  if (!writing_) StartNextLocked();
  ReleaseHoldLocked();
}

void GrpcStream::DropQueuedLocked() {
  // The front message is gRPC's until OnWriteDone; only the rest may go.
  if (writing_ && !half_closed_ && !queue_.empty()) {
    queue_.erase(queue_.begin() + 1, queue_.end());
  } else if (!writing_) {
    queue_.clear();
  }
}

void GrpcStream::Cancel() {
  HappensBefore(this);  // what the caller did, before the reactions it starts
  std::lock_guard lock(mu_);
  if (ended_) return;
  DropQueuedLocked();
  context_.TryCancel();
  ReleaseHoldLocked();
}

// Reactions never run inline with the Start* call that caused them, so
// starting operations while holding mu_ cannot deadlock.
void GrpcStream::StartNextLocked() {
  if (!queue_.empty()) {
    writing_ = true;
    if (close_wanted_ && !half_closed_ && queue_.size() == 1) {
      half_closed_ = true;  // the last message carries the half-close
      StartWriteLast(&queue_.front(), grpc::WriteOptions());
    } else {
      StartWrite(&queue_.front());
    }
  } else if (close_wanted_ && !half_closed_) {
    writing_ = true;
    half_closed_ = true;
    StartWritesDone();
  } else {
    writing_ = false;
  }
}

void GrpcStream::ReleaseHoldLocked() {
  if (hold_released_) return;
  hold_released_ = true;
  RemoveHold();
}

void GrpcStream::OnWriteDone(bool ok) {
  Reaction reaction(this);
  std::lock_guard lock(mu_);
  queue_.pop_front();                               // the message just written
  if (!ok || (hold_released_ && !close_wanted_)) {  // broken or cancelled: write no more
    queue_.clear();
    writing_ = false;
    return;
  }
  StartNextLocked();
}

void GrpcStream::OnWritesDoneDone(bool) {
  Reaction reaction(this);
  std::lock_guard lock(mu_);
  writing_ = false;
}

void GrpcStream::OnReadDone(bool ok) {
  Reaction reaction(this);
  if (!ok) {  // the EPP ended the stream: nothing more will be written
    std::lock_guard lock(mu_);
    DropQueuedLocked();
    ReleaseHoldLocked();
    return;
  }
  Guarded("grpc-read", [this] { callbacks_->OnReply(std::move(reply_)); });
  reply_.Clear();  // moved from: make it a valid empty message for the next read
  StartRead(&reply_);
}

void GrpcStream::OnDone(const grpc::Status& status) {
  Reaction reaction(this);
  auto self = std::move(self_);
  {
    std::lock_guard lock(mu_);
    hold_released_ = true;
    ended_ = true;
  }
  {
    auto callbacks = std::move(callbacks_);
    Guarded("grpc-done", [&] { callbacks->OnStreamDone(status); });
  }  // our reference to the callbacks goes before the client is told we ended
  if (on_end_) Guarded("grpc-end", [this] { on_end_(this); });
}

}  // namespace eppb
