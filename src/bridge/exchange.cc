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
      return BridgeAnswer::Error(
          502, "grpc-error",
          "EPP failed: gRPC status " + std::to_string(status.error_code()) + " " +
              status.error_message());
  }
}

}  // namespace

Exchange::Exchange(Strand strand, ExtProcClient* client, const ExchangeConfig& config,
                   std::shared_ptr<const BridgeRequest> request, Done done,
                   HeldStreamTable* holds)
    : strand_(std::move(strand)),
      client_(client),
      holds_(holds),
      config_(config),
      request_(std::move(request)),
      done_(std::move(done)),
      interpreter_(std::in_place, request_, config.max_body_bytes),
      timer_(strand_) {}

void Exchange::ArmTimer(std::chrono::milliseconds after) {
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->HandleTimer();
  });
}

void Exchange::Start() {
  state_ = State::kWaiting;
  ArmTimer(config_.deadline);
  auto lifetime = config_.deadline + config_.linger + std::chrono::seconds(1);
  if (holds_) lifetime += config_.hold_ttl;
  stream_ = client_->Start(request_->target, shared_from_this(), lifetime);
  if (!stream_) {
    Finish(BridgeAnswer::Error(503, "too-many-epp-targets",
                               "the bridge has reached its limit of EPP targets"),
           false);
    return;
  }
  MessageBuilder(config_.chunk_bytes).Build(*request_, [this](auto&& msg) {
    stream_->Send(std::move(msg));
  });
}

void Exchange::Abort() {
  if (state_ == State::kOver) return;
  spdlog::debug("request_id={} epp={} caller gone, cancelling stream", request_->request_id,
                request_->target.Key());
  done_ = nullptr;
  timer_.cancel();
  if (stream_) stream_->Cancel();
  state_ = State::kOver;
}

void Exchange::OnReply(extproc::ProcessingResponse reply) {
  boost::asio::post(strand_, [self = shared_from_this(), r = std::move(reply)]() {
    self->HandleReply(r);
  });
}

void Exchange::OnStreamDone(const grpc::Status& status) {
  boost::asio::post(strand_, [self = shared_from_this(), status]() {
    self->HandleStreamDone(status);
  });
}

void Exchange::HandleReply(const extproc::ProcessingResponse& reply) {
  if (state_ != State::kWaiting) return;  // late replies after the decision
  if (interpreter_->OnReply(reply) == ReplyInterpreter::Step::kNeedMore) return;
  if (interpreter_->dropped_mutations() > 0) {
    Metrics::Get().CountDroppedMutations(interpreter_->dropped_mutations());
    LogEventLimited(spdlog::level::warn, "unsafe-mutations-dropped",
                    {{"request_id", request_->request_id}, {"epp", request_->target.Key()},
                     {"count", std::to_string(interpreter_->dropped_mutations())}});
  }
  BridgeAnswer answer = interpreter_->TakeAnswer();
  bool graceful = answer.outcome == Outcome::kPicked;
  Finish(std::move(answer), graceful);
}

void Exchange::Complete(const CompletionRecord& record) {
  boost::asio::post(strand_, [self = shared_from_this(), record]() {
    self->HandleComplete(record);
  });
}

void Exchange::Release(const char* reason) {
  boost::asio::post(strand_, [self = shared_from_this(), reason]() {
    if (self->state_ == State::kHeld) self->CloseGracefully(reason);
  });
}

void Exchange::HandleStreamDone(const grpc::Status& status) {
  if (state_ == State::kWaiting) {
    Finish(AnswerForStatus(status), false);
  } else if (state_ == State::kHeld && holds_->Remove(request_->request_id, this)) {
    Metrics::Get().CountHeldStreamEnd("epp_closed");  // tolerated: some EPP paths end early
  }
  timer_.cancel();
  state_ = State::kOver;
}

// The response phase, as far as the bridge can see it: the status NGINX
// sent and the endpoint that served it, reported on ResponseHeaders with
// end_of_stream (no response body is forwarded), then our half-close.
void Exchange::HandleComplete(const CompletionRecord& record) {
  if (state_ != State::kHeld) return;
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
  stream_->Send(std::move(msg));
  CloseGracefully("completed");
}

void Exchange::CloseGracefully(const char* held_reason) {
  if (state_ == State::kHeld) Metrics::Get().CountHeldStreamEnd(held_reason);
  timer_.cancel();
  state_ = State::kClosing;
  stream_->Close();
  ArmTimer(config_.linger);
}

void Exchange::HandleTimer() {
  if (state_ == State::kWaiting) {
    Finish(BridgeAnswer::Error(504, "deadline-exceeded",
                               "EPP did not decide within " +
                                   std::to_string(config_.deadline.count()) + " ms"),
           false);
  } else if (state_ == State::kHeld) {
    if (holds_->Remove(request_->request_id, this)) {  // else a record is on its way
      LogEventLimited(spdlog::level::info, "held-stream-expired",
                      {{"request_id", request_->request_id}, {"epp", request_->target.Key()}});
      CloseGracefully("ttl");
    }
  } else if (state_ == State::kClosing) {
    spdlog::debug("request_id={} EPP kept the stream open past the linger time",
                  request_->request_id);
    stream_->Cancel();
    state_ = State::kOver;
  }
}

void Exchange::Finish(BridgeAnswer answer, bool graceful) {
  timer_.cancel();
  // The request (and its body) is not needed after the decision; a held
  // stream keeps only its id and target.
  interpreter_.reset();
  auto slim = std::make_shared<BridgeRequest>();
  slim->request_id = request_->request_id;
  slim->target = request_->target;
  request_ = std::move(slim);
  if (stream_ && graceful && holds_ && answer.outcome == Outcome::kPicked) {
    state_ = State::kHeld;
    ArmTimer(config_.hold_ttl);
    holds_->Hold(request_->request_id, shared_from_this());
  } else if (stream_ && graceful) {
    state_ = State::kClosing;
    stream_->Close();
    ArmTimer(config_.linger);
  } else {
    if (stream_) stream_->Cancel();
    state_ = State::kOver;
  }
  if (auto done = std::move(done_)) done(std::move(answer));
}

}  // namespace eppb
