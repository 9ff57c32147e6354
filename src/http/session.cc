#include "http/session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <cerrno>

#include "http/body_request.h"
#include "http/request_framing.h"
#include "observe/entry_guard.h"
#include "observe/logging.h"
#include "observe/metrics.h"

namespace eppb {

namespace http = boost::beast::http;
namespace asio = boost::asio;

namespace {

// The read-ahead takes up to this much of the next request at once.
constexpr size_t kReadAheadBytes = 64 * 1024;
// How long a lingering close reads and drops what the caller still sends.
constexpr std::chrono::milliseconds kLingerTime{5000};

bool IsClosed(boost::beast::error_code ec) {
  return ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
         ec == boost::beast::error::timeout || ec == asio::error::eof ||
         ec == asio::error::connection_reset;
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, ServerContext* ctx)
    : stream_(std::move(socket)),
      fd_(stream_.socket().native_handle()),
      ctx_(ctx),
      ahead_timer_(stream_.get_executor()) {
  // Beast sizes each read from the buffer's capacity; start it large so a
  // big prompt arrives in 64 KiB reads, not 512-byte ones.
  buffer_.reserve(64 * 1024);
}

template <class Body>
void Session::Guard(const char* where, Body&& body) {
  Guarded(where, body, [this] { HandleInternalError(); });
}

void Session::Run() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    self->Guard("session-start", [&] { self->DoRead(); });
  });
}

void Session::DoRead() {
  state_ = State::kReading;
  linger_ = false;
  head_request_ = false;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(ctx_->limits.max_header_bytes));
  parser_->body_limit(ctx_->limits.max_body_bytes);
  stream_.expires_after(buffer_.size() > 0 ? ctx_->limits.read_timeout : ctx_->limits.idle_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](boost::beast::error_code ec, size_t) {
                            self->Guard("session-read", [&] { self->OnHeader(ec); });
                          });
}

void Session::OnHeader(boost::beast::error_code ec) {
  if (ec) return OnReadError(ec);
  const auto& req = parser_->get();
  version_ = req.version();
  head_request_ = req.method() == http::verb::head;
  if (auto refusal = CheckFraming(req)) {
    start_ = std::chrono::steady_clock::now();
    linger_ = true;
    return Write(std::move(*refusal), false);
  }
  if (parser_->is_done()) return StartExchange();
  // A body that came in with the header (a small request) is parsed now,
  // without another read.
  if (auto length = parser_->content_length(); length && buffer_.size() >= *length) {
    boost::beast::error_code pec;
    buffer_.consume(parser_->put(buffer_.data(), pec));
    if (pec && pec != http::error::need_more) return OnReadError(pec);
    if (parser_->is_done()) return StartExchange();
  }
  if (ExpectsContinue(req)) SendContinue();
  // A body of known length goes to the EPP as it arrives, as Envoy streams
  // it; a chunked one is read whole first (the EPP is given its length).
  if (parser_->content_length() && !linger_) return StreamBody();
  ReadBody();
}

// RFC 9110 §10.1.1: a server may omit 100 Continue when the body has
// started to arrive; njs's ngx.fetch sends the body at once and would take
// an interim 100 for the final answer, so it gets none.
void Session::SendContinue() {
  char b;
  if (buffer_.size() > 0 || ::recv(fd_, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0) return;
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  ssize_t n;
  do {
    n = ::send(fd_, kContinue.data(), kContinue.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  // A fresh connection's send buffer takes 25 bytes whole; if not, the
  // client sends its body after its own wait, as without 100 Continue.
  if (n > 0 && static_cast<size_t>(n) < kContinue.size()) linger_ = true;
}

void Session::ReadBody() {
  stream_.expires_after(ctx_->limits.read_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](boost::beast::error_code ec, size_t) {
                     self->Guard("session-read", [&] { self->OnBody(ec); });
                   });
}

void Session::OnBody(boost::beast::error_code ec) {
  if (ec) return OnReadError(ec);
  // A torn 100 Continue cannot be told from a body byte by the client:
  // answer, then close.
  if (linger_) {
    start_ = std::chrono::steady_clock::now();
    return Write(BridgeAnswer::Fail(Failure::kCannotContinue, "could not send 100 Continue"),
                 false);
  }
  StartExchange();
}

void Session::OnReadError(boost::beast::error_code ec) {
  if (IsClosed(ec)) {
    if (exchange_ && ec != boost::beast::error::timeout) {  // gone in the middle of the body
      LogEvent(spdlog::level::info, "caller-hangup", {{"request_id", request_id_}, {"epp", epp_}});
      ctx_->metrics->CountCallerHangup();
    }
    return Close();
  }
  if (exchange_ && exchange_->Abort()) EndInflight();  // a streamed body broke off
  exchange_.reset();
  answer_.reset();
  start_ = std::chrono::steady_clock::now();
  request_id_.clear();
  epp_.clear();
  trace_id_.clear();
  linger_ = true;
  if (ec == http::error::body_limit) {
    return Write(BridgeAnswer::Fail(
                     Failure::kRequestBodyTooLarge,
                     "request body over " + std::to_string(ctx_->limits.max_body_bytes) + " bytes"),
                 false);
  }
  if (ec == http::error::header_limit) {
    return Write(BridgeAnswer::Fail(Failure::kHeadersTooLarge, "request headers too large"), false);
  }
  Write(BridgeAnswer::Fail(Failure::kBadHttp, "malformed HTTP request: " + ec.message()), false);
}

void Session::StartExchange() {
  BridgeAnswer refusal;
  if (!Open(false, &refusal)) return Write(std::move(refusal), keep_alive_);
  AwaitAnswer();
  auto exchange = exchange_;
  exchange->Start();  // last: a refused start answers from inside
}

void Session::StreamBody() {
  state_ = State::kStreaming;
  answer_.reset();
  BridgeAnswer refusal;
  if (!Open(true, &refusal)) {
    answer_ = std::move(refusal);  // after the body, so that the connection stays usable
  } else {
    auto exchange = exchange_;
    exchange->Start();  // a refused start answers from inside: OnAnswer keeps it in answer_
  }
  if (state_ != State::kStreaming) return;  // closed meanwhile
  stream_.expires_after(ctx_->limits.read_timeout);
  ReadBodyPiece();
}

void Session::ReadBodyPiece() {
  http::async_read_some(stream_, buffer_, *parser_,
                        [self = shared_from_this()](boost::beast::error_code ec, size_t) {
                          self->Guard("session-read", [&] { self->OnBodyPiece(ec); });
                        });
}

void Session::OnBodyPiece(boost::beast::error_code ec) {
  if (state_ != State::kStreaming) return;
  if (ec) return OnReadError(ec);
  if (auto exchange = exchange_) exchange->BodyArrived(parser_->get().body());
  if (state_ != State::kStreaming) return;
  if (!parser_->is_done()) return ReadBodyPiece();
  std::string body = std::move(parser_->get().body());
  if (answer_ || !exchange_) {
    BridgeAnswer answer =
        answer_ ? std::move(*answer_)
                : BridgeAnswer::Fail(Failure::kInternalError, "the request's exchange was lost");
    answer_.reset();
    return Write(std::move(answer), keep_alive_);
  }
  AwaitAnswer();
  auto exchange = exchange_;
  exchange->EndBody(std::move(body));  // may answer from inside
}

bool Session::Open(bool body_follows, BridgeAnswer* answer) {
  start_ = std::chrono::steady_clock::now();
  request_id_.clear();
  epp_.clear();
  trace_id_.clear();
  auto& req = parser_->get();
  keep_alive_ = req.keep_alive();
  want_body_ = WantsRewrittenBody(req);
  // A body still to come stays with the parser, which appends to it (and
  // has reserved its length); the translator would take it.
  std::string pending;
  if (body_follows) pending.swap(req.body());
  RequestTranslator translator(ctx_->limits);
  auto result = translator.Translate(req);
  if (body_follows) req.body().swap(pending);
  if (auto* rejection = std::get_if<BridgeAnswer>(&result)) {
    *answer = std::move(*rejection);
    return false;
  }
  auto& translated = std::get<BridgeRequest>(result);
  translated.body_follows = body_follows;
  request_id_ = translated.request_id;
  epp_ = translated.target.Key();
  for (const auto& h : translated.headers) {
    if (h.key == "traceparent" && h.value.size() >= 35) trace_id_ = h.value.substr(3, 32);
  }
  ctx_->metrics->ObserveBodyBytes(body_follows ? static_cast<size_t>(*parser_->content_length())
                                               : translated.body.size());
  if (ctx_->inflight.fetch_add(1) >= ctx_->max_inflight) {
    ctx_->inflight.fetch_sub(1);
    *answer = BridgeAnswer::Fail(Failure::kOverCapacity, "too many exchanges in flight");
    return false;
  }
  ctx_->metrics->inflight().Increment();
  auto request = std::make_shared<const BridgeRequest>(std::move(translated));
  exchange_ = std::make_shared<Exchange>(
      stream_.get_executor(), ctx_->client, ctx_->exchange, *ctx_->metrics, std::move(request),
      [self = shared_from_this()](BridgeAnswer answer) {
        self->Guard("session-answer", [&] { self->OnAnswer(std::move(answer)); });
      },
      ctx_->holds ? ctx_->holds->Here() : nullptr);  // this loop's table
  return true;
}

void Session::AwaitAnswer() {
  state_ = State::kExchanging;
  stream_.expires_never();
  // Bytes of a next request already in: the caller is there, and the
  // answer is written before they are read.
  if (buffer_.size() == 0) ReadAhead();
}

void Session::ReadAhead() {
  read_ahead_pending_ = true;
  read_ahead_error_ = {};
  ++ahead_generation_;
  stream_.socket().async_read_some(
      buffer_.prepare(boost::beast::read_size(buffer_, kReadAheadBytes)),
      [self = shared_from_this()](boost::system::error_code ec, size_t n) {
        self->Guard("session-read-ahead", [&] { self->OnReadAhead(ec, n); });
      });
}

void Session::OnReadAhead(boost::system::error_code ec, size_t n) {
  read_ahead_pending_ = false;
  if (!ec) buffer_.commit(n);
  switch (state_) {
    case State::kExchanging:
      if (!ec) return;  // the caller's next request: it is still there
      LogEvent(spdlog::level::info, "caller-hangup", {{"request_id", request_id_}, {"epp", epp_}});
      ctx_->metrics->CountCallerHangup();
      return Close();  // aborts the exchange
    case State::kWriting:
      read_ahead_error_ = ec;  // AfterWrite closes on it; bytes wait in buffer_
      return;
    case State::kReading:  // the answer is out: the next request's first bytes, or the end
      ahead_timer_.cancel();
      if (ec) return Close();
      return DoRead();
    case State::kLingering:
      ahead_timer_.cancel();
      buffer_.consume(buffer_.size());
      stream_.expires_after(kLingerTime);
      return OnLingerRead(ec, n);
    default:
      return;  // closed
  }
}

void Session::BoundReadAhead(std::chrono::milliseconds limit) {
  ahead_timer_.expires_after(limit);
  ahead_timer_.async_wait(
      [self = shared_from_this(), gen = ahead_generation_](boost::system::error_code ec) {
        if (ec || gen != self->ahead_generation_ || !self->read_ahead_pending_) return;
        self->Guard("session-read-ahead", [&] { self->Close(); });
      });
}

void Session::OnAnswer(BridgeAnswer answer) {
  if (state_ != State::kExchanging && state_ != State::kStreaming) return;  // closed meanwhile
  exchange_.reset();
  EndInflight();
  KeepRewrittenBodyIfWanted(&answer, want_body_);
  if (state_ == State::kStreaming) {
    answer_ = std::move(answer);  // the rest of the body is read first
    return;
  }
  Write(std::move(answer), keep_alive_);
}

void Session::EndInflight() {
  ctx_->inflight.fetch_sub(1);
  ctx_->metrics->inflight().Decrement();
}

void Session::HandleInternalError() {
  if (state_ == State::kClosed) return;
  if (exchange_ && exchange_->Abort()) EndInflight();
  exchange_.reset();
  answer_.reset();
  // Writing or lingering: too late for an answer. Streaming: a body read
  // may be pending, and an answer would need another read to linger.
  if (state_ == State::kWriting || state_ == State::kLingering || state_ == State::kStreaming) {
    return Close();
  }
  linger_ = true;
  Guarded(
      "session-internal-error",
      [&] {
        Write(BridgeAnswer::Fail(Failure::kInternalError, "the bridge failed on this request"),
              false);
      },
      [this] { Close(); });
}

ssize_t Session::SendNow() {
  iovec iov[2] = {{head_.data(), head_.size()}, {body_.data(), body_.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = body_.empty() ? 1 : 2;
  ssize_t n;
  do {
    n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return n;
  return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
}

void Session::Write(BridgeAnswer answer, bool keep_alive) {
  state_ = State::kWriting;
  keep_alive = Render(std::move(answer), keep_alive);
  ssize_t sent = SendNow();
  if (sent < 0) return Close();  // the caller is gone
  if (static_cast<size_t>(sent) == head_.size() + body_.size()) return AfterWrite(keep_alive);
  WriteRest(keep_alive, static_cast<size_t>(sent));
}

void Session::WriteRest(bool keep_alive, size_t written) {
  size_t in_head = std::min(written, head_.size());
  std::array<asio::const_buffer, 2> rest{asio::buffer(head_) + in_head,
                                         asio::buffer(body_) + (written - in_head)};
  stream_.expires_after(ctx_->limits.read_timeout);
  asio::async_write(stream_, rest,
                    [self = shared_from_this(), keep_alive](boost::beast::error_code ec, size_t) {
                      self->Guard("session-write", [&] { self->OnWrite(keep_alive, ec); });
                    });
}

void Session::OnWrite(bool keep_alive, boost::beast::error_code ec) {
  if (ec) return Close();
  AfterWrite(keep_alive);
}

void Session::AfterWrite(bool keep_alive) {
  body_.clear();  // head_ keeps its capacity for the next answer
  if (linger_) return Linger();
  if (!keep_alive || read_ahead_error_) return Close();
  if (read_ahead_pending_) {  // it reads the next request: no new read
    state_ = State::kReading;
    return BoundReadAhead(ctx_->limits.idle_timeout);
  }
  DoRead();  // a pipelined request already in buffer_ is parsed at once
}

void Session::Account(const BridgeAnswer& a) {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  ctx_->metrics->CountAnswer(a, seconds);
  // A pick is logged at debug only: skip building the line when it is off.
  if (a.outcome == Outcome::kPicked && !spdlog::should_log(spdlog::level::debug)) return;
  std::string status = std::to_string(a.status);
  std::string latency = fmt::format("{:.3f}", seconds * 1000);
  const char* outcome = OutcomeName(a.outcome);
  switch (a.outcome) {
    case Outcome::kPicked:
      LogEvent(spdlog::level::debug, "request",
               {{"request_id", request_id_},
                {"epp", epp_},
                {"outcome", outcome},
                {"status", status},
                {"endpoint", a.endpoints.front().ToString()},
                {"latency_ms", latency},
                {"trace_id", trace_id_}});
      break;
    case Outcome::kImmediate:
      LogEventLimited(spdlog::level::info, "request",
                      {{"request_id", request_id_},
                       {"epp", epp_},
                       {"outcome", outcome},
                       {"status", status},
                       {"latency_ms", latency},
                       {"trace_id", trace_id_}});
      break;
    default:
      LogEventLimited(spdlog::level::warn, "request",
                      {{"request_id", request_id_},
                       {"epp", epp_},
                       {"outcome", outcome},
                       {"status", status},
                       {"reason", a.error_reason},
                       {"detail", a.body},
                       {"latency_ms", latency},
                       {"trace_id", trace_id_}});
  }
}

bool Session::Render(BridgeAnswer answer, bool keep_alive) {
  Account(answer);
  keep_alive = keep_alive && !ctx_->draining.load();
  RenderAnswerTo(std::move(answer), version_, keep_alive, &head_, &body_);
  if (head_request_) body_.clear();  // the head keeps the Content-Length a GET would get
  return keep_alive;
}

void Session::Linger() {
  state_ = State::kLingering;
  boost::system::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (read_ahead_pending_) return BoundReadAhead(kLingerTime);  // it reads on, to drop
  stream_.expires_after(kLingerTime);
  stream_.async_read_some(asio::buffer(discard_),
                          [self = shared_from_this()](boost::beast::error_code e, size_t n) {
                            self->Guard("session-linger", [&] { self->OnLingerRead(e, n); });
                          });
}

void Session::OnLingerRead(boost::beast::error_code ec, size_t n) {
  lingered_ += n;
  if (ec || lingered_ > ctx_->limits.max_body_bytes + (1u << 20)) return Close();
  stream_.async_read_some(asio::buffer(discard_),
                          [self = shared_from_this()](boost::beast::error_code e, size_t m) {
                            self->Guard("session-linger", [&] { self->OnLingerRead(e, m); });
                          });
}

// The one place the connection ends; an exchange still running is aborted.
void Session::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (exchange_ && exchange_->Abort()) EndInflight();
  exchange_.reset();
  ahead_timer_.cancel();  // its handler holds the session
  boost::system::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.close();
}

}  // namespace eppb
