#include "bridge/exchange.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

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
    : strand_(std::move(strand)),
      client_(client),
      holds_(holds),
      config_(config),
      request_(std::move(request)),
      done_(std::move(done)),
      interpreter_(std::in_place, request_, config.max_body_bytes, &config.endpoints),
      timer_(strand_) {}

Exchange::State Exchange::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

void Exchange::SetState(State s) {
  std::lock_guard lock(mu_);
  state_ = s;
}

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

void Exchange::ArmTimer(std::chrono::milliseconds after) {
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->HandleTimer();
  });
}

void Exchange::Start() {
  SetState(State::kWaiting);
  ArmTimer(config_.deadline);
  auto lifetime = config_.deadline + config_.linger + std::chrono::seconds(1);
  if (holds_) lifetime += config_.hold_ttl;
  ExtProcClient::Refusal refusal{};
  stream_ = client_->Start(request_->target, shared_from_this(), lifetime, &refusal);
  if (!stream_) {
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
  MessageBuilder(config_.chunk_bytes).Build(*request_, [this](auto&& msg) {
    stream_->Send(std::move(msg));
  });
}

void Exchange::Abort() {
  {
    std::lock_guard lock(mu_);
    if (state_ == State::kOver) return;
    state_ = State::kOver;  // a decision on its way finds kOver and is dropped
  }
  spdlog::debug("request_id={} epp={} caller gone, cancelling stream", request_->request_id,
                request_->target.Key());
  done_ = nullptr;
  timer_.cancel();
  if (stream_) stream_->Cancel();
}

// gRPC thread. Replies after the decision (the rest of an echoed body) are ignored.
void Exchange::OnReply(const extproc::ProcessingResponse& reply) {
  BridgeAnswer answer;
  int dropped = 0;
  {
    std::lock_guard lock(mu_);
    if (state_ != State::kWaiting) return;
    if (interpreter_->OnReply(reply) == ReplyInterpreter::Step::kNeedMore) return;
    answer = interpreter_->TakeAnswer();
    dropped = interpreter_->dropped_mutations();
    DecideLocked();
  }
  // request_ is still the full request: only Settle, posted below, replaces it.
  if (dropped > 0) {
    Metrics::Get().CountDroppedMutations(dropped);
    LogEventLimited(spdlog::level::warn, "unsafe-mutations-dropped",
                    {{"request_id", request_->request_id},
                     {"epp", request_->target.Key()},
                     {"count", std::to_string(dropped)}});
  }
  bool graceful = answer.outcome == Outcome::kPicked;
  boost::asio::post(strand_, [self = shared_from_this(), a = std::move(answer),
                              graceful]() mutable { self->Settle(std::move(a), graceful); });
}

// gRPC thread, once, after the last OnReply. Before the decision the stream's
// end is the answer; after it, the strand tidies up.
void Exchange::OnStreamDone(const grpc::Status& status) {
  if (Decide()) {
    boost::asio::post(strand_, [self = shared_from_this(), a = AnswerForStatus(status)]() mutable {
      self->Settle(std::move(a), false);
    });
  } else {
    boost::asio::post(strand_, [self = shared_from_this()]() { self->HandleStreamDone(); });
  }
}

void Exchange::Complete(const CompletionRecord& record) {
  boost::asio::post(strand_,
                    [self = shared_from_this(), record]() { self->HandleComplete(record); });
}

void Exchange::Release(const char* reason) {
  boost::asio::post(strand_, [self = shared_from_this(), reason]() {
    if (self->state() == State::kHeld) self->CloseGracefully(reason);
  });
}

// Strand, after the decision was settled (posted behind it) or the exchange aborted.
void Exchange::HandleStreamDone() {
  if (state() == State::kHeld && holds_->Remove(request_->request_id, this)) {
    Metrics::Get().CountHeldStreamEnd("epp_closed");  // tolerated: some EPP paths end early
  }
  timer_.cancel();
  SetState(State::kOver);
}

// The response phase, as far as the bridge can see it: the status NGINX
// sent and the endpoint that served it, reported on ResponseHeaders with
// end_of_stream (no response body is forwarded), then our half-close.
void Exchange::HandleComplete(const CompletionRecord& record) {
  if (state() != State::kHeld) return;
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
  stream_->SendLast(std::move(msg));  // CloseGracefully's Close() is then a no-op
  CloseGracefully("completed");
}

void Exchange::CloseGracefully(const char* held_reason) {
  if (state() == State::kHeld) Metrics::Get().CountHeldStreamEnd(held_reason);
  timer_.cancel();
  SetState(State::kClosing);
  stream_->Close();
  ArmTimer(config_.linger);
}

void Exchange::HandleTimer() {
  State s = state();
  if (s == State::kWaiting) {
    if (!Decide()) return;  // a reply or the stream's end decided first; Settle is queued
    Settle(BridgeAnswer::Error(
               504, "deadline-exceeded",
               "EPP did not decide within " + std::to_string(config_.deadline.count()) + " ms"),
           false);
  } else if (s == State::kHeld) {
    if (holds_->Remove(request_->request_id, this)) {  // else a record is on its way
      LogEventLimited(spdlog::level::info, "held-stream-expired",
                      {{"request_id", request_->request_id}, {"epp", request_->target.Key()}});
      CloseGracefully("ttl");
    }
  } else if (s == State::kClosing) {
    spdlog::debug("request_id={} EPP kept the stream open past the linger time",
                  request_->request_id);
    stream_->Cancel();
    SetState(State::kOver);
  }
}

void Exchange::Settle(BridgeAnswer answer, bool graceful) {
  if (state() != State::kDecided) return;  // aborted: the caller has gone
  timer_.cancel();
  // The request (and its body) is not needed after the decision; a held
  // stream keeps only its id and target.
  auto slim = std::make_shared<BridgeRequest>();
  slim->request_id = request_->request_id;
  slim->target = request_->target;
  request_ = std::move(slim);
  if (stream_ && graceful && holds_ && answer.outcome == Outcome::kPicked) {
    SetState(State::kHeld);
    ArmTimer(config_.hold_ttl);
    holds_->Hold(request_->request_id, shared_from_this());
  } else if (stream_ && graceful) {
    SetState(State::kClosing);
    stream_->Close();
    ArmTimer(config_.linger);
  } else {
    if (stream_) stream_->Cancel();
    SetState(State::kOver);
  }
  if (auto done = std::move(done_)) done(std::move(answer));
}

}  // namespace eppb
