#include "http/session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

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
    : stream_(std::move(socket)), ctx_(ctx) {
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
  exchange_ = std::make_shared<Exchange>(
      stream_.get_executor(), ctx_->client, ctx_->exchange, request,
      [self = shared_from_this()](BridgeAnswer answer) { self->OnAnswer(std::move(answer)); },
      ctx_->holds);
  auto exchange = exchange_;  // Start() may answer at once and reset exchange_
  exchange->Start();
  if (state_ == State::kExchanging) WatchForHangup();
}

void Session::WatchForHangup() {
  stream_.socket().async_wait(
      asio::ip::tcp::socket::wait_read,
      [self = shared_from_this(), gen = generation_](boost::system::error_code ec) {
        if (self->state_ != State::kExchanging || gen != self->generation_) return;
        if (!ec) {
          // Readiness alone is not a hang-up: an edge-triggered wake-up can be
          // left over from bytes the request read already took. Peek to tell.
          char b;
          ssize_t n =
              ::recv(self->stream_.socket().native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
          if (n > 0) return;  // pipelined bytes: the caller is still there
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            return self->WatchForHangup();  // spurious: keep watching
          }
        }
        LogEvent(spdlog::level::info, "caller-hangup",
                 {{"request_id", self->request_id_}, {"epp", self->epp_}});
        Metrics::Get().CountCallerHangup();
        if (self->exchange_) self->exchange_->Abort();
        self->exchange_.reset();
        self->ctx_->inflight.fetch_sub(1);
        Metrics::Get().inflight().Decrement();
        self->Close();
      });
}

void Session::OnAnswer(BridgeAnswer answer) {
  if (state_ != State::kExchanging) return;
  exchange_.reset();
  ctx_->inflight.fetch_sub(1);
  Metrics::Get().inflight().Decrement();
  Write(std::move(answer), keep_alive_);
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

void Session::Write(BridgeAnswer answer, bool keep_alive) {
  Account(answer);
  state_ = State::kWriting;
  ++generation_;
  keep_alive = keep_alive && !ctx_->draining.load();
  // One gathered write: the rendered head, then the body as it is.
  HttpResponse res = RenderAnswer(std::move(answer), version_, keep_alive);
  RenderHead(res, &head_);
  body_ = std::move(res.body());
  std::array<asio::const_buffer, 2> buffers{asio::buffer(head_), asio::buffer(body_)};
  stream_.expires_after(ctx_->limits.read_timeout);
  asio::async_write(stream_, buffers,
                    [self = shared_from_this(), keep_alive](boost::beast::error_code ec, size_t) {
                      self->OnWrite(keep_alive, ec);
                    });
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
  boost::system::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.close();
}

}  // namespace eppb
