#include "bridge/exchange.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "extproc/message_builder.h"

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
                   std::shared_ptr<const BridgeRequest> request, Done done)
    : strand_(std::move(strand)),
      client_(client),
      config_(config),
      request_(std::move(request)),
      done_(std::move(done)),
      interpreter_(request_, config.max_body_bytes),
      timer_(strand_) {}

void Exchange::Start() {
  state_ = State::kWaiting;
  timer_.expires_after(config_.deadline);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->HandleTimer();
  });
  auto lifetime = config_.deadline + config_.linger + std::chrono::seconds(1);
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
  if (interpreter_.OnReply(reply) == ReplyInterpreter::Step::kNeedMore) return;
  if (interpreter_.dropped_mutations() > 0) {
    spdlog::warn("request_id={} epp={} dropped {} unsafe header mutations", request_->request_id,
                 request_->target.Key(), interpreter_.dropped_mutations());
  }
  BridgeAnswer answer = interpreter_.TakeAnswer();
  bool graceful = answer.outcome == Outcome::kPicked;
  Finish(std::move(answer), graceful);
}

void Exchange::HandleStreamDone(const grpc::Status& status) {
  if (state_ == State::kWaiting) {
    Finish(AnswerForStatus(status), false);
  }
  timer_.cancel();
  state_ = State::kOver;
}

void Exchange::HandleTimer() {
  if (state_ == State::kWaiting) {
    Finish(BridgeAnswer::Error(504, "deadline-exceeded",
                               "EPP did not decide within " +
                                   std::to_string(config_.deadline.count()) + " ms"),
           false);
  } else if (state_ == State::kClosing) {
    spdlog::debug("request_id={} EPP kept the stream open past the linger time",
                  request_->request_id);
    stream_->Cancel();
    state_ = State::kOver;
  }
}

void Exchange::Finish(BridgeAnswer answer, bool graceful) {
  timer_.cancel();
  if (answer.outcome == Outcome::kError) {
    spdlog::warn("request_id={} epp={} outcome=error status={} reason={} detail=\"{}\"",
                 request_->request_id, request_->target.Key(), answer.status,
                 answer.error_reason, answer.body);
  }
  if (stream_ && graceful) {
    state_ = State::kClosing;
    stream_->Close();
    timer_.expires_after(config_.linger);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->HandleTimer();
    });
  } else {
    if (stream_) stream_->Cancel();
    state_ = State::kOver;
  }
  if (auto done = std::move(done_)) done(std::move(answer));
}

}  // namespace eppb
