#include "bridge/exchange.h"

#include <spdlog/spdlog.h>

#include "extproc/message_builder.h"
#include "extproc/metadata_keys.h"
#include "observe/logging.h"
#include "observe/metrics.h"

namespace eppb {

namespace {

BridgeAnswer AnswerForStatus(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return BridgeAnswer::Error(502, "no-decision", "EPP ended the stream without a decision");
    case grpc::StatusCode::UNAVAILABLE:
      return BridgeAnswer::Error(503, "epp-unavailable",
                                 "EPP unavailable: " + status.error_message());
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return BridgeAnswer::Error(504, "deadline-exceeded", "EPP did not decide in time");
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return BridgeAnswer::Error(502, "grpc-error",
                                 "EPP message over the size limit: " + status.error_message());
    default:
      return BridgeAnswer::Error(502, "grpc-error",
                                 "EPP failed: gRPC status " + std::to_string(status.error_code()) +
                                     " " + status.error_message());
  }
}

}  // namespace

Exchange::Exchange(Strand strand, ExtProcClient* client, const ExchangeConfig& config,
                   std::shared_ptr<const BridgeRequest> request, Done done, HeldStreamTable* holds)
    : client_(client),
      holds_(request->completion_key.empty() ? nullptr : holds),
      config_(config),
      id_(request->completion_key.empty() ? request->request_id : request->completion_key),
      request_(std::move(request)),
      done_(std::move(done)),
      interpreter_(std::in_place, request_, config.max_body_bytes, &config.endpoints),
      timer_(std::move(strand)) {}

bool Exchange::Decide() {
  std::lock_guard lock(mu_);
  return DecideLocked();
}

bool Exchange::DecideLocked() {
  if (state_ != State::kWaiting) return false;
  state_ = State::kDecided;
  interpreter_.reset();
  return true;
}

void Exchange::ArmTimerLocked(std::chrono::milliseconds after) {
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->HandleTimer();
  });
}

void Exchange::Start() {
  std::shared_ptr<const BridgeRequest> request;
  {
    std::lock_guard lock(mu_);
    state_ = State::kWaiting;
    ArmTimerLocked(config_.deadline);
    request = request_;  // kept here while Settle may drop request_
  }
  auto lifetime = config_.deadline + config_.linger + std::chrono::seconds(1);
  if (holds_) lifetime += config_.hold_ttl;
  ExtProcClient::Refusal refusal{};
  auto stream = client_->Start(request->target, shared_from_this(), lifetime, &refusal);
  if (!stream) {
    if (Decide()) {
      Settle(refusal == ExtProcClient::Refusal::kNotServing
                 ? BridgeAnswer::Error(503, "epp-not-serving",
                                       "the EPP's health service reports NOT_SERVING")
                 : BridgeAnswer::Error(503, "too-many-epp-targets",
                                       "the bridge has reached its limit of EPP targets"),
             false);
    }
    return;
  }
  bool cancel;
  {
    std::lock_guard lock(mu_);
    stream_ = stream;
    // Decided while the handle was on its way here (the stream failed at once,
    // or the caller left): Settle found no stream to end, so end it here.
    cancel = state_ == State::kOver;
  }
  if (cancel) return stream->Cancel();
  // Messages sent after a decision are dropped by the stream (it is closed).
  MessageBuilder(config_.chunk_bytes).Build(*request, [&stream](auto&& msg) {
    stream->Send(std::move(msg));
  });
}

bool Exchange::Abort() {
  std::shared_ptr<ExtProcStream> stream;
  {
    std::lock_guard lock(mu_);
    // Settled already: the answer is with the owner, and the stream goes on
    // (closing, or held for its completion record).
    if (!done_) return false;
    state_ = State::kOver;  // a decision not yet settled finds kOver and is dropped
    done_ = nullptr;
    timer_.cancel();
    stream = stream_;
  }
  spdlog::debug("request_id={} caller gone, cancelling stream", id_);
  if (stream) stream->Cancel();
  return true;
}

// gRPC thread. Replies after the decision (the rest of an echoed body) are ignored.
void Exchange::OnReply(const extproc::ProcessingResponse& reply) {
  BridgeAnswer answer;
  int dropped = 0;
  std::string epp;
  {
    std::lock_guard lock(mu_);
    if (state_ != State::kWaiting) return;
    if (interpreter_->OnReply(reply) == ReplyInterpreter::Step::kNeedMore) return;
    answer = interpreter_->TakeAnswer();
    dropped = interpreter_->dropped_mutations();
    if (dropped > 0) epp = request_->target.Key();
    DecideLocked();
  }
  if (dropped > 0) {
    Metrics::Get().CountDroppedMutations(dropped);
    LogEventLimited(spdlog::level::warn, "unsafe-mutations-dropped",
                    {{"request_id", id_}, {"epp", epp}, {"count", std::to_string(dropped)}});
  }
  bool graceful = answer.outcome == Outcome::kPicked;
  Settle(std::move(answer), graceful);
}

// gRPC thread, once, after the last OnReply. Before the decision the stream's
// end is the answer; after it, the exchange is over.
void Exchange::OnStreamDone(const grpc::Status& status) {
  if (Decide()) return Settle(AnswerForStatus(status), false);
  std::lock_guard lock(mu_);
  if (state_ == State::kHeld && holds_->Remove(id_, this)) {
    Metrics::Get().CountHeldStreamEnd("epp_closed");  // tolerated: some EPP paths end early
  }
  if (state_ == State::kHeld || state_ == State::kClosing) {
    timer_.cancel();
    state_ = State::kOver;
  }
}

// The response phase, as far as the bridge can see it: the status NGINX
// sent and the endpoint that served it, reported on ResponseHeaders with
// end_of_stream (no response body is forwarded), then our half-close.
void Exchange::Complete(const CompletionRecord& record) {
  extproc::ProcessingRequest msg;
  auto* hdrs = msg.mutable_response_headers();
  auto* status = hdrs->mutable_headers()->add_headers();
  status->set_key(":status");
  status->set_raw_value(std::to_string(record.status));
  hdrs->set_end_of_stream(true);
  if (record.served) {
    auto& lb = (*msg.mutable_metadata_context()->mutable_filter_metadata())[kLbNamespace];
    (*lb.mutable_fields())[kServedKey].set_string_value(record.served->ToString());
  }
  CloseHeld("completed", &msg);
}

void Exchange::Release(const char* reason) { CloseHeld(reason, nullptr); }

void Exchange::CloseHeld(const char* held_reason, extproc::ProcessingRequest* last) {
  std::shared_ptr<ExtProcStream> stream;
  {
    std::lock_guard lock(mu_);
    if (state_ != State::kHeld) return;
    Metrics::Get().CountHeldStreamEnd(held_reason);
    state_ = State::kClosing;
    ArmTimerLocked(config_.linger);  // replaces the hold TTL
    stream = stream_;
  }
  if (last) {
    stream->SendLast(std::move(*last));  // the half-close rides on it
  } else {
    stream->Close();
  }
}

// Strand: the deadline, the hold TTL or the linger time ran out. A timer that
// was re-armed or cancelled meanwhile finds a state it does not act on.
void Exchange::HandleTimer() {
  State s;
  {
    std::lock_guard lock(mu_);
    if (timer_.expiry() > std::chrono::steady_clock::now()) return;  // re-armed since
    s = state_;
  }
  if (s == State::kWaiting) {
    if (!Decide()) return;  // a reply or the stream's end decided first
    Settle(BridgeAnswer::Error(
               504, "deadline-exceeded",
               "EPP did not decide within " + std::to_string(config_.deadline.count()) + " ms"),
           false);
  } else if (s == State::kHeld) {
    if (holds_->Remove(id_, this)) {  // else a record is on its way
      LogEventLimited(spdlog::level::info, "held-stream-expired", {{"request_id", id_}});
      CloseHeld("ttl", nullptr);
    }
  } else if (s == State::kClosing) {
    std::shared_ptr<ExtProcStream> stream;
    {
      std::lock_guard lock(mu_);
      if (state_ != State::kClosing) return;
      state_ = State::kOver;
      stream = stream_;
    }
    spdlog::debug("request_id={} EPP kept the stream open past the linger time", id_);
    stream->Cancel();
  }
}

void Exchange::Settle(BridgeAnswer answer, bool graceful) {
  enum class Then { kNothing, kClose, kCancel } then = Then::kNothing;
  std::shared_ptr<ExtProcStream> stream;
  Done done;
  {
    std::lock_guard lock(mu_);
    if (state_ != State::kDecided) return;  // aborted: the caller has gone
    timer_.cancel();
    // The request (and its body) is not needed after the decision: a held
    // stream is known by id_ alone.
    request_.reset();
    stream = stream_;
    if (stream && graceful && holds_ && answer.outcome == Outcome::kPicked) {
      state_ = State::kHeld;
      ArmTimerLocked(config_.hold_ttl);
      holds_->Hold(id_, shared_from_this());
    } else if (stream && graceful) {
      state_ = State::kClosing;
      ArmTimerLocked(config_.linger);
      then = Then::kClose;
    } else {
      state_ = State::kOver;
      then = Then::kCancel;
    }
    done = std::move(done_);
  }
  if (then == Then::kClose) stream->Close();
  if (then == Then::kCancel && stream) stream->Cancel();
  if (done) done(std::move(answer));
}

}  // namespace eppb
