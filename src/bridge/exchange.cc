#include "bridge/exchange.h"

#include <spdlog/spdlog.h>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>

#include "extproc/message_builder.h"
#include "extproc/metadata_keys.h"
#include "net/worker_loops.h"
#include "observe/entry_guard.h"
#include "observe/logging.h"
#include "observe/metrics.h"

namespace eppb {

namespace {

BridgeAnswer AnswerForStatus(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return BridgeAnswer::Fail(Failure::kNoDecision, "EPP ended the stream without a decision");
    case grpc::StatusCode::UNAVAILABLE:
      return BridgeAnswer::Fail(Failure::kEppUnavailable,
                                "EPP unavailable: " + status.error_message());
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return BridgeAnswer::Fail(Failure::kDeadlineExceeded, "EPP did not decide in time");
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return BridgeAnswer::Fail(Failure::kGrpcError,
                                "EPP message over the size limit: " + status.error_message());
    default:
      return BridgeAnswer::Fail(Failure::kGrpcError, "EPP failed: gRPC status " +
                                                         std::to_string(status.error_code()) + " " +
                                                         status.error_message());
  }
}

}  // namespace

Exchange::Exchange(Strand strand, ExtProcClient* client, const ExchangeConfig& config,
                   Metrics& metrics, std::shared_ptr<const BridgeRequest> request, Done done,
                   HeldStreamTable* holds)
    : client_(client),
      holds_(holds),
      config_(config),
      metrics_(metrics),
      id_(request->request_id),
      hold_key_(request->completion_key),
      request_(std::move(request)),
      done_(std::move(done)),
      timer_(std::move(strand)) {
  if (!request_->body_follows) interpreter_.emplace(request_, config);
}

template <class Handler>
void Exchange::Post(const char* where, Handler&& handler) {
  boost::asio::post(timer_.get_executor(), [self = shared_from_this(), where,
                                            h = std::forward<Handler>(handler)]() mutable {
    Guarded(where, h, [&self] { self->HandleInternalError(); });
  });
}

template <class Body>
void Exchange::RunFromOwner(const char* where, Body&& body) {
  auto self = shared_from_this();  // the handler may let go of the last other owner
  bool nested = in_place_;
  in_place_ = true;
  Guarded(where, body, [&] { HandleInternalError(); });
  in_place_ = nested;
}

template <class Handler>
bool Exchange::RunInPlace(const char* where, Handler&& handler) {
  auto* loop = WorkerLoops::CurrentLoop();
  if (in_place_ || loop == nullptr ||
      &boost::asio::query(timer_.get_executor(), boost::asio::execution::context) !=
          static_cast<boost::asio::execution_context*>(loop)) {
    return false;
  }
  RunFromOwner(where, std::forward<Handler>(handler));
  return true;
}

void Exchange::ArmTimer(std::chrono::milliseconds after) {
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec)
      Guarded(
          "exchange-timer", [&] { self->HandleTimer(); }, [&] { self->HandleInternalError(); });
  });
}

void Exchange::Start() {
  state_ = State::kWaiting;
  const bool streamed = request_->body_follows;
  if (!streamed) ArmTimer(config_.deadline);  // a streamed body's deadline starts at its end
  auto lifetime = config_.deadline + config_.linger + std::chrono::seconds(1);
  if (holds_) lifetime += config_.hold_ttl;
  if (streamed) lifetime += config_.upload;
  ExtProcClient::Refusal refusal{};
  stream_ = client_->Start(request_->target, shared_from_this(), lifetime, &refusal);
  if (!stream_) {
    return Decide(refusal == ExtProcClient::Refusal::kNotServing
                      ? BridgeAnswer::Fail(Failure::kEppNotServing,
                                           "the EPP's health service reports NOT_SERVING")
                      : BridgeAnswer::Fail(Failure::kTooManyEppTargets,
                                           "the bridge has reached its limit of EPP targets"));
  }
  // A stream that fails at once reports it with a post: it is handled after
  // this returns, and the messages below are dropped by the ended stream.
  MessageBuilder builder(config_.chunk_bytes);
  auto send = [this](const extproc::ProcessingRequest& msg) { stream_->Send(msg); };
  if (streamed) return builder.Headers(*request_, false, send);
  builder.Build(*request_, send);
}

void Exchange::SendBody(std::string_view body, bool end) {
  MessageBuilder(config_.chunk_bytes)
      .Body(*request_, body, &body_sent_, end, [this](const auto& msg) { stream_->Send(msg); });
}

void Exchange::BodyArrived(std::string_view body) {
  if (state_ != State::kWaiting || interpreter_ || ended_) return;  // answered, not streamed, over
  RunFromOwner("exchange-body", [&] { SendBody(body, false); });
}

void Exchange::EndBody(std::string body) {
  if (state_ != State::kWaiting || interpreter_) return;
  RunFromOwner("exchange-body-end", [&] {
    auto whole = std::make_shared<BridgeRequest>(*request_);
    whole->body = std::move(body);
    whole->body_follows = false;
    request_ = std::move(whole);
    interpreter_.emplace(request_, config_);
    if (ended_) {
      stream_.reset();  // over already: a decision neither holds nor closes it
    } else {
      SendBody(request_->body, true);
    }
    ArmTimer(config_.deadline);
    auto early = std::move(early_);
    early_bytes_ = 0;
    for (const auto& reply : early) {
      if (state_ != State::kWaiting) return;
      HandleReply(reply);
    }
    if (state_ == State::kWaiting && ended_) Decide(AnswerForStatus(*ended_));
  });
}

bool Exchange::Abort() {
  if (!done_) return false;  // answered: the stream goes on (closing, or held)
  done_ = nullptr;
  LogEvent(spdlog::level::debug, "stream-cancelled", {{"request_id", id_}, {"why", "caller-gone"}});
  timer_.cancel();
  interpreter_.reset();
  request_.reset();
  early_.clear();
  state_ = State::kOver;
  if (stream_) stream_->Cancel();
  return true;
}

void Exchange::OnReply(extproc::ProcessingResponse reply) {
  Post("exchange-reply",
       [this, r = std::move(reply)] { HandleReply(r); });  // `this` is kept by Post's `self`
}

void Exchange::OnStreamDone(const grpc::Status& status) {
  Post("exchange-stream-done", [this, status] { HandleStreamDone(status); });
}

void Exchange::OnReplyInPlace(const extproc::ProcessingResponse& reply) {
  if (!RunInPlace("exchange-reply", [&] { HandleReply(reply); })) OnReply(reply);  // a copy
}

void Exchange::OnStreamDoneInPlace(const grpc::Status& status) {
  if (!RunInPlace("exchange-stream-done", [&] { HandleStreamDone(status); })) {
    OnStreamDone(status);
  }
}

void Exchange::Complete(const CompletionRecord& record) {
  Post("exchange-complete", [this, record] { HandleComplete(record); });
}

void Exchange::Release(const char* reason) {
  Post("exchange-release", [this, reason] { HandleRelease(reason); });
}

void Exchange::HandleReply(const extproc::ProcessingResponse& reply) {
  if (state_ != State::kWaiting) return;  // after the decision: the rest of an echoed body
  if (!interpreter_) {                    // a streamed body has not ended yet: keep it for EndBody
    early_bytes_ += reply.ByteSizeLong();
    if (early_bytes_ > config_.max_body_bytes + ExchangeConfig::kEppBodySlackBytes) {
      return Decide(BridgeAnswer::Fail(
          Failure::kProtocolViolation,
          "EPP sent more than " +
              std::to_string(config_.max_body_bytes + ExchangeConfig::kEppBodySlackBytes) +
              " bytes of replies before the request body ended"));
    }
    early_.push_back(reply);
    return;
  }
  if (interpreter_->OnReply(reply) == ReplyInterpreter::Step::kNeedMore) return;
  if (int dropped = interpreter_->dropped_mutations(); dropped > 0) {
    metrics_.CountDroppedMutations(dropped);
    LogEventLimited(
        spdlog::level::warn, "unsafe-mutations-dropped",
        {{"request_id", id_}, {"epp", request_->target.Key()}, {"count", std::to_string(dropped)}});
  }
  Decide(interpreter_->TakeAnswer());
}

// Before the decision the stream's end is the answer; after it, the exchange is over.
void Exchange::HandleStreamDone(const grpc::Status& status) {
  switch (state_) {
    case State::kWaiting:
      if (!interpreter_) {  // a streamed body has not ended: EndBody reads the early replies first
        ended_ = status;
        return;
      }
      return Decide(AnswerForStatus(status));
    case State::kHeld:
      holds_->Remove(hold_key_, this);
      metrics_.CountHeldStreamEnd("epp_closed");  // tolerated: some EPP paths end early
      [[fallthrough]];
    case State::kClosing:
      timer_.cancel();
      state_ = State::kOver;
      break;
    case State::kCreated:
    case State::kOver:
      break;
  }
  stream_.reset();  // the stream is over: let it go
}

// The response phase, as far as the bridge can see it: the status NGINX
// sent and the endpoint that served it, reported on ResponseHeaders with
// end_of_stream (no response body is forwarded), then our half-close.
void Exchange::HandleComplete(const CompletionRecord& record) {
  if (state_ != State::kHeld) {
    LogEvent(spdlog::level::debug, "completion-record-dropped",
             {{"request_id", id_}, {"why", "stream-released"}});
    return;
  }
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

void Exchange::HandleRelease(const char* reason) {
  if (state_ == State::kHeld) CloseHeld(reason, nullptr);
}

void Exchange::CloseHeld(const char* held_reason, extproc::ProcessingRequest* last) {
  metrics_.CountHeldStreamEnd(held_reason);
  state_ = State::kClosing;
  ArmTimer(config_.linger);  // replaces the hold TTL
  if (last) {
    stream_->SendLast(*last);  // the half-close rides on it
  } else {
    stream_->Close();
  }
}

// The deadline, the hold TTL or the linger time ran out. A timer re-armed
// since it fired is recognised by its later expiry.
void Exchange::HandleTimer() {
  if (timer_.expiry() > std::chrono::steady_clock::now()) return;
  switch (state_) {
    case State::kWaiting:
      return Decide(BridgeAnswer::Fail(
          Failure::kDeadlineExceeded,
          "EPP did not decide within " + std::to_string(config_.deadline.count()) + " ms"));
    case State::kHeld:
      holds_->Remove(hold_key_, this);
      LogEventLimited(spdlog::level::info, "held-stream-expired", {{"request_id", id_}});
      return CloseHeld("ttl", nullptr);
    case State::kClosing:
      state_ = State::kOver;
      metrics_.CountLingerExpired();
      LogEventLimited(spdlog::level::info, "linger-expired",
                      {{"request_id", id_}, {"linger_ms", std::to_string(config_.linger.count())}});
      stream_->Cancel();
      return;
    case State::kCreated:
    case State::kOver:
      return;
  }
}

void Exchange::HandleInternalError() {
  if (state_ == State::kWaiting) {
    return Decide(BridgeAnswer::Fail(Failure::kExchangeFailed,
                                     "the bridge failed while handling the EPP's reply"));
  }
  if (state_ == State::kHeld) holds_->Remove(hold_key_, this);
  timer_.cancel();
  state_ = State::kOver;
  if (stream_) stream_->Cancel();
}

void Exchange::Decide(BridgeAnswer answer) {
  timer_.cancel();
  interpreter_.reset();
  request_.reset();  // a held stream is known by its key alone
  early_.clear();
  bool picked = answer.outcome == Outcome::kPicked;
  if (stream_ && picked && holds_ != nullptr && !hold_key_.empty()) {
    state_ = State::kHeld;
    ArmTimer(config_.hold_ttl);
    holds_->Hold(hold_key_, shared_from_this());
  } else if (stream_ && picked) {
    state_ = State::kClosing;
    ArmTimer(config_.linger);
    stream_->Close();
  } else {
    state_ = State::kOver;
    if (stream_) stream_->Cancel();
  }
  if (auto done = std::move(done_)) {
    done_ = nullptr;
    done(std::move(answer));
  }
}

}  // namespace eppb
