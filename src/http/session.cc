#include "http/session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <cerrno>

#include "observe/logging.h"
#include "observe/metrics.h"

namespace eppb {

namespace http = boost::beast::http;
namespace asio = boost::asio;

Session::Session(asio::ip::tcp::socket socket, ServerContext* ctx)
    : stream_(std::move(socket)),
      fd_(stream_.socket().native_handle()),
      ctx_(ctx),
      idle_timer_(stream_.get_executor()) {
  // Beast sizes each read from the buffer's capacity; start it large so a
  // big prompt arrives in 64 KiB reads, not 512-byte ones.
  buffer_.reserve(64 * 1024);
}

void Session::Run() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
}

void Session::DoRead() {
  state_ = State::kReading;
  ++generation_;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(ctx_->limits.max_header_bytes));
  parser_->body_limit(ctx_->limits.max_body_bytes);
  stream_.expires_after(buffer_.size() > 0 ? ctx_->limits.read_timeout : ctx_->limits.idle_timeout);
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](boost::beast::error_code ec, size_t) { self->OnRead(ec); });
}

void Session::OnRead(boost::beast::error_code ec) {
  if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
      ec == boost::beast::error::timeout || ec == asio::error::eof ||
      ec == asio::error::connection_reset) {
    return Close();
  }
  start_ = std::chrono::steady_clock::now();
  request_id_.clear();
  epp_.clear();
  trace_id_.clear();
  if (ec == http::error::body_limit) {
    linger_ = true;
    return Write(BridgeAnswer::Rejected(
                     413, "body-too-large",
                     "request body over " + std::to_string(ctx_->limits.max_body_bytes) + " bytes"),
                 false);
  }
  if (ec == http::error::header_limit) {
    linger_ = true;
    return Write(BridgeAnswer::Rejected(431, "headers-too-large", "request headers too large"),
                 false);
  }
  if (ec) {
    linger_ = true;
    return Write(BridgeAnswer::Rejected(400, "bad-http", "malformed HTTP request: " + ec.message()),
                 false);
  }
  StartExchange();
}

void Session::StartExchange() {
  start_ = std::chrono::steady_clock::now();
  auto req = parser_->release();
  version_ = req.version();
  keep_alive_ = req.keep_alive();
  RequestTranslator translator(ctx_->limits);
  auto result = translator.Translate(req);
  if (auto* rejection = std::get_if<BridgeAnswer>(&result)) {
    return Write(std::move(*rejection), keep_alive_);
  }
  auto& translated = std::get<BridgeRequest>(result);
  request_id_ = translated.request_id;
  epp_ = translated.target.Key();
  for (const auto& h : translated.headers) {
    if (h.key == "traceparent" && h.value.size() >= 35) trace_id_ = h.value.substr(3, 32);
  }
  Metrics::Get().ObserveBodyBytes(translated.body.size());
  if (ctx_->inflight.fetch_add(1) >= ctx_->max_inflight) {
    ctx_->inflight.fetch_sub(1);
    return Write(BridgeAnswer::Error(503, "over-capacity", "too many exchanges in flight"),
                 keep_alive_);
  }
  Metrics::Get().inflight().Increment();
  auto request = std::make_shared<const BridgeRequest>(std::move(translated));
  state_ = State::kExchanging;
  stream_.expires_never();
  auto exchange = std::make_shared<Exchange>(
      stream_.get_executor(), ctx_->client, ctx_->exchange, request,
      [self = shared_from_this()](BridgeAnswer answer) { self->OnAnswer(std::move(answer)); },
      ctx_->holds);
  {
    std::lock_guard lock(answer_mu_);
    exchange_ = exchange;
    turn_ = Turn::kExchanging;
    watching_ = true;
  }
  WatchForHangup();  // before Start: the answer may come at once
  exchange->Start();
}

void Session::WatchForHangup() {
  stream_.socket().async_wait(asio::ip::tcp::socket::wait_read,
                              [self = shared_from_this(), gen = generation_](
                                  boost::system::error_code ec) { self->OnWatch(ec, gen); });
}

// Strand: the socket is readable (or the wait failed) while an exchange runs
// or after its answer went out directly.
void Session::OnWatch(boost::system::error_code ec, uint64_t gen) {
  if (state_ != State::kExchanging || gen != generation_) return;  // a stale watch
  std::unique_lock lock(answer_mu_);
  watching_ = false;
  if (turn_ == Turn::kAnswered) {  // the next request, or the caller's close: read it
    turn_ = Turn::kIdle;
    idle_timer_.cancel();
    lock.unlock();
    return DoRead();
  }
  if (!ec) {
    // Readiness alone is not a hang-up: an edge-triggered wake-up can be
    // left over from bytes the request read already took. Peek to tell.
    char b;
    ssize_t n = ::recv(fd_, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return;  // pipelined bytes: the caller is still there; OnAnswer continues
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      watching_ = true;
      lock.unlock();
      return WatchForHangup();  // spurious: keep watching
    }
  }
  auto exchange = std::move(exchange_);
  // Settled already: OnAnswer is on its way and finds the watch gone.
  if (!exchange || !exchange->Abort()) return;
  turn_ = Turn::kIdle;
  lock.unlock();
  LogEvent(spdlog::level::info, "caller-hangup", {{"request_id", request_id_}, {"epp", epp_}});
  Metrics::Get().CountCallerHangup();
  EndInflight();
  Close();
}

void Session::OnAnswer(BridgeAnswer answer) {
  std::unique_lock lock(answer_mu_);
  if (turn_ != Turn::kExchanging) return;
  exchange_.reset();
  EndInflight();
  bool keep_alive = Render(std::move(answer), keep_alive_);
  int err = 0;
  ssize_t sent = SendNow(&err);
  if (sent == static_cast<ssize_t>(head_.size() + body_.size()) && keep_alive) {
    body_.clear();
    if (watching_) {  // the watch takes the connection back when the next request comes
      turn_ = Turn::kAnswered;
      idle_timer_.expires_after(ctx_->limits.idle_timeout);
      idle_timer_.async_wait(
          [self = shared_from_this()](boost::system::error_code e) { self->OnIdle(e); });
      return;
    }
    turn_ = Turn::kIdle;
    lock.unlock();
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
    return;
  }
  // A slow reader, a closing connection or a socket error: the strand finishes.
  turn_ = Turn::kIdle;
  lock.unlock();
  asio::post(stream_.get_executor(),
             [self = shared_from_this(), keep_alive, written = sent < 0 ? 0 : size_t(sent), err] {
               self->WriteRest(keep_alive, written, err);
             });
}

void Session::EndInflight() {
  ctx_->inflight.fetch_sub(1);
  Metrics::Get().inflight().Decrement();
}

ssize_t Session::SendNow(int* err) {
  iovec iov[2] = {{head_.data(), head_.size()}, {body_.data(), body_.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = body_.empty() ? 1 : 2;
  ssize_t n;
  do {
    n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return n;
  if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
  *err = errno;
  return -1;
}

void Session::WriteRest(bool keep_alive, size_t written, int err) {
  state_ = State::kWriting;
  ++generation_;  // a hang-up watch still pending is stale now
  if (err != 0)
    return OnWrite(keep_alive, boost::system::error_code(err, boost::system::system_category()));
  size_t in_head = std::min(written, head_.size());
  std::array<asio::const_buffer, 2> rest{asio::buffer(head_) + in_head,
                                         asio::buffer(body_) + (written - in_head)};
  stream_.expires_after(ctx_->limits.read_timeout);
  asio::async_write(stream_, rest,
                    [self = shared_from_this(), keep_alive](boost::beast::error_code ec, size_t) {
                      self->OnWrite(keep_alive, ec);
                    });
}

// Strand: a connection left idle after an answer written directly.
void Session::OnIdle(boost::system::error_code ec) {
  if (ec) return;
  {
    std::lock_guard lock(answer_mu_);
    if (turn_ != Turn::kAnswered) return;  // the watch took the connection back first
    turn_ = Turn::kIdle;
  }
  Close();
}

void Session::Account(const BridgeAnswer& a) {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  Metrics::Get().CountAnswer(a, seconds);
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
  HttpResponse res = RenderAnswer(std::move(answer), version_, keep_alive);
  RenderHead(res, &head_);
  body_ = std::move(res.body());
  return keep_alive;
}

void Session::Write(BridgeAnswer answer, bool keep_alive) {
  WriteRest(Render(std::move(answer), keep_alive), 0, 0);
}

void Session::OnWrite(bool keep_alive, boost::beast::error_code ec) {
  body_.clear();  // head_ keeps its capacity for the next answer
  if (!ec && linger_) return Linger();
  if (ec || !keep_alive) return Close();
  DoRead();
}

void Session::Linger() {
  state_ = State::kLingering;
  boost::system::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  stream_.expires_after(std::chrono::seconds(5));
  stream_.async_read_some(asio::buffer(discard_),
                          [self = shared_from_this()](boost::beast::error_code e, size_t n) {
                            self->OnLingerRead(e, n);
                          });
}

void Session::OnLingerRead(boost::beast::error_code ec, size_t n) {
  lingered_ += n;
  if (ec || lingered_ > ctx_->limits.max_body_bytes + (1u << 20)) return Close();
  stream_.async_read_some(asio::buffer(discard_),
                          [self = shared_from_this()](boost::beast::error_code e, size_t m) {
                            self->OnLingerRead(e, m);
                          });
}

void Session::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  {
    std::lock_guard lock(answer_mu_);
    idle_timer_.cancel();
  }
  boost::system::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.close();
}

}  // namespace eppb
