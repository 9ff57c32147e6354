// h2_floor_client: the least an HTTP/2 ext_proc client can do per request,
// the floor that `epp-bridge pick --epp-transport h2` is measured against
// (docs/benchmarks.md, "floors").
//
// One thread runs one io_context; one h2c connection to the EPP, driven by
// libnghttp2 (flow control, HPACK). Per stream it sends the messages `pick`
// sends (extproc/message_builder.h: request headers with protocol_config
// FULL_DUPLEX_STREAMED, then the body with end_of_stream), each with the
// gRPC 5-byte prefix, and reads replies until the point where `pick` decides:
// the request_headers reply naming x-gateway-destination-endpoint, then the
// echoed body up to its end_of_stream. Then it half-closes the stream, as
// `pick` does, and lets the EPP end it with its trailers.
//
//   h2_floor_client --epp HOST:PORT --body JSON [-H 'name: value'...]
//                   [--concurrency N] (--requests N | --seconds S)
//
// Prints requests, requests/s, client CPU per request (getrusage, the whole
// process), p50/p99 latency and the answers without a destination; exits 1
// when any answer lacks one or a stream fails.
#include <nghttp2/nghttp2.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/bridge_request.h"
#include "common/header_rules.h"
#include "extproc/message_builder.h"
#include "extproc/metadata_keys.h"
#include "http/request_translator.h"

namespace {

namespace asio = boost::asio;
namespace extproc = envoy::service::ext_proc::v3;
using Clock = std::chrono::steady_clock;
using tcp = asio::ip::tcp;

constexpr size_t kMaxMessageBytes = 64 << 20;  // as `pick` (max_receive_bytes)
constexpr int32_t kStreamWindow = 1 << 20;     // as the h2 transport
constexpr int32_t kConnectionWindow = 4 << 20;
constexpr size_t kChunkBytes = 64 * 1024;       // `pick --chunk-bytes` default
constexpr const char* kGrpcTimeout = "32000m";  // pick: deadline + linger + 1 s
constexpr const char* kPath = "/envoy.service.ext_proc.v3.ExternalProcessor/Process";

// Per-stream state, owned by FloorClient::streams_, erased when nghttp2
// reports the stream closed.
struct Stream {
  Clock::time_point start;
  std::string out;             // gRPC frames still to hand to nghttp2
  size_t taken = 0;            // bytes of `out` already handed over
  bool half_close = false;     // decision seen: end our side after `out`
  std::string in;              // received bytes not yet parsed into messages
  bool headers_reply = false;  // request_headers reply seen
  bool destination = false;    // ... and it named a destination
  bool decided = false;        // `pick` would have answered by now
};

class FloorClient {
 public:
  FloorClient(asio::io_context& io, extproc::ProcessingRequest headers,
              extproc::ProcessingRequest body, size_t concurrency, size_t requests, double seconds)
      : socket_(io),
        headers_(std::move(headers)),
        body_(std::move(body)),
        concurrency_(concurrency),
        requests_(requests),
        seconds_(seconds) {}
  ~FloorClient() {
    if (session_) nghttp2_session_del(session_);
  }

  bool Connect(const std::string& host, const std::string& port) {
    boost::system::error_code ec;
    tcp::resolver resolver(socket_.get_executor());
    asio::connect(socket_, resolver.resolve(host, port, ec), ec);
    if (ec) return Error("connect to " + host + ":" + port + ": " + ec.message());
    authority_ = host + ":" + port;  // as the h2 transport: the target's host:port
    socket_.set_option(tcp::no_delay(true));
    nghttp2_session_callbacks* cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, OnData);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, OnClose);
    nghttp2_session_callbacks_set_on_header_callback(cb, OnHeader);
    nghttp2_session_client_new(&session_, cb, this);
    nghttp2_session_callbacks_del(cb);
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                         {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
    return true;
  }

  void Start() {
    t0_ = Clock::now();
    for (size_t i = 0; i < concurrency_; ++i) StartStream();
    Read();
    Flush();
  }

  void Print() {
    double secs = std::chrono::duration<double>(t1_ - t0_).count();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    double cpu =
        ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    size_t n = latencies_.size();
    std::sort(latencies_.begin(), latencies_.end());
    auto pct = [&](double p) {
      if (n == 0) return 0.0;
      size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * n));
      return latencies_[std::clamp<size_t>(rank, 1, n) - 1];
    };
    std::printf("requests: %zu  concurrency: %zu  duration_s: %.3f\n", n, concurrency_, secs);
    std::printf("throughput_rps: %.1f\n", secs > 0 ? n / secs : 0.0);
    std::printf("cpu_us_per_request: %.1f\n", n ? cpu * 1e6 / n : 0.0);
    std::printf("latency_ms: p50=%.3f p99=%.3f\n", pct(50), pct(99));
    std::printf("no_destination: %zu  failed: %zu\n", no_destination_, failed_);
    if (!error_.empty()) std::printf("error: %s\n", error_.c_str());
  }
  bool Ok() const {
    return no_destination_ == 0 && failed_ == 0 && error_.empty() && !latencies_.empty();
  }

 private:
  bool Error(std::string what) {
    if (error_.empty()) error_ = std::move(what);
    return false;
  }
  bool Starting() const {
    if (requests_ > 0) return started_ < requests_;
    return Clock::now() - t0_ < std::chrono::duration<double>(seconds_);
  }

  void StartStream() {
    auto s = std::make_unique<Stream>();
    s->start = Clock::now();
    // The messages of pick's request: only x-request-id differs per request.
    extproc::ProcessingRequest first = headers_;
    auto* id = first.mutable_request_headers()->mutable_headers()->add_headers();
    id->set_key("x-request-id");
    id->set_raw_value(eppb::NewRequestId());
    Frame(first, &s->out);
    Frame(body_, &s->out);
    const nghttp2_nv fields[] = {
        Field(":method", "POST"),
        Field(":scheme", "http"),
        Field(":path", kPath),
        Field(":authority", authority_),
        Field("content-type", "application/grpc"),
        Field("te", "trailers"),
        Field("grpc-timeout", kGrpcTimeout),
        Field("user-agent", "h2-floor-client"),
    };
    nghttp2_data_provider provider{};
    provider.read_callback = ReadBody;
    int32_t sid =
        nghttp2_submit_request(session_, nullptr, fields, std::size(fields), &provider, s.get());
    if (sid < 0) {
      Error(std::string("submit: ") + nghttp2_strerror(sid));
      return;
    }
    ++started_;
    ++live_;
    streams_.emplace(sid, std::move(s));
  }

  static void Frame(const extproc::ProcessingRequest& msg, std::string* out) {
    std::string bytes = msg.SerializeAsString();
    uint32_t n = static_cast<uint32_t>(bytes.size());
    const char prefix[5] = {0, static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                            static_cast<char>(n >> 8), static_cast<char>(n)};
    out->append(prefix, 5);
    out->append(bytes);
  }
  static nghttp2_nv Field(std::string_view name, std::string_view value) {
    return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
            reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
            NGHTTP2_NV_FLAG_NONE};
  }

  static ssize_t ReadBody(nghttp2_session* session, int32_t id, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void*) {
    auto* s = static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, id));
    if (!s) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    size_t n = std::min(length, s->out.size() - s->taken);
    std::copy_n(s->out.data() + s->taken, n, buf);
    s->taken += n;
    if (s->taken == s->out.size()) {
      if (s->half_close)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
      else if (n == 0)
        return NGHTTP2_ERR_DEFERRED;  // resumed at the decision
    }
    return static_cast<ssize_t>(n);
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* self) {
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    auto* c = static_cast<FloorClient*>(self);
    if ((n == "grpc-status" && v != "0") || (n == ":status" && v != "200"))
      c->Error("stream " + std::to_string(frame->hd.stream_id) + ": " + std::string(n) + " " +
               std::string(v));
    return 0;
  }

  static int OnData(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data, size_t len,
                    void* self) {
    auto* s = static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, id));
    if (!s) return 0;
    s->in.append(reinterpret_cast<const char*>(data), len);
    size_t off = 0;
    while (s->in.size() - off >= 5) {
      const auto* p = reinterpret_cast<const uint8_t*>(s->in.data() + off);
      uint32_t n = (uint32_t{p[1]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 8) | p[4];
      auto* c = static_cast<FloorClient*>(self);
      if (p[0] != 0 || n > kMaxMessageBytes) {
        c->Error("bad gRPC frame from the EPP");
        return NGHTTP2_ERR_CALLBACK_FAILURE;
      }
      if (s->in.size() - off - 5 < n) break;
      extproc::ProcessingResponse reply;
      if (!reply.ParseFromArray(p + 5, static_cast<int>(n))) {
        c->Error("unparsable reply from the EPP");
        return NGHTTP2_ERR_CALLBACK_FAILURE;
      }
      off += 5 + n;
      c->OnReply(id, s, reply);
    }
    s->in.erase(0, off);
    return 0;
  }

  void OnReply(int32_t id, Stream* s, const extproc::ProcessingResponse& reply) {
    if (s->decided) return;  // the rest of an echo
    bool done = false;
    if (reply.has_request_headers()) {
      s->headers_reply = true;
      for (const auto& h : reply.request_headers().response().header_mutation().set_headers()) {
        if (eppb::ToLower(h.header().key()) == eppb::kDestinationHeader &&
            !(h.header().raw_value().empty() && h.header().value().empty()))
          s->destination = true;
      }
    } else if (reply.has_request_body()) {
      const auto& bm = reply.request_body().response().body_mutation();
      done = !bm.has_streamed_response() || bm.streamed_response().end_of_stream();
    } else {
      done = true;  // an immediate response or another phase: no destination
    }
    if (!done) return;
    s->decided = true;
    if (!s->destination) ++no_destination_;
    latencies_.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - s->start).count());
    s->half_close = true;
    nghttp2_session_resume_data(session_, id);
    if (Starting()) StartStream();
  }

  static int OnClose(nghttp2_session*, int32_t id, uint32_t code, void* self) {
    auto* c = static_cast<FloorClient*>(self);
    auto it = c->streams_.find(id);
    if (it == c->streams_.end()) return 0;
    if (!it->second->decided) {
      ++c->failed_;
      c->Error("stream " + std::to_string(id) + " ended before a decision (h2 error " +
               std::to_string(code) + ")");
    }
    c->streams_.erase(it);
    --c->live_;
    return 0;
  }

  void Read() {
    socket_.async_read_some(
        asio::buffer(read_buf_), [this](boost::system::error_code ec, size_t n) {
          if (stopped_) return;
          if (ec) return Stop("read: " + ec.message());
          ssize_t r = nghttp2_session_mem_recv(session_, read_buf_.data(), n);
          if (r < 0) return Stop(std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(r)));
          if (!error_.empty()) return Stop("");
          Flush();
          if (Finished()) return Stop("");
          Read();
        });
  }

  bool Finished() {
    if (live_ > 0 || Starting()) return false;
    if (t1_ == Clock::time_point{}) t1_ = Clock::now();
    return true;
  }

  void Flush() {
    if (writing_ || stopped_) return;
    write_buf_.clear();
    while (write_buf_.size() < (64u << 10)) {
      const uint8_t* data = nullptr;
      ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) return Stop("HTTP/2 send failed");
      if (n == 0) break;
      write_buf_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    if (write_buf_.empty()) return;
    writing_ = true;
    asio::async_write(socket_, asio::buffer(write_buf_),
                      [this](boost::system::error_code ec, size_t) {
                        writing_ = false;
                        if (stopped_) return;
                        if (ec) return Stop("write: " + ec.message());
                        Flush();
                      });
  }

  // Ends the run; a non-empty `why` is an error.
  void Stop(std::string why) {
    if (!why.empty()) Error(std::move(why));
    stopped_ = true;
    if (t1_ == Clock::time_point{}) t1_ = Clock::now();
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  tcp::socket socket_;
  nghttp2_session* session_ = nullptr;
  const extproc::ProcessingRequest headers_;  // pick's first message, without x-request-id
  const extproc::ProcessingRequest body_;     // pick's second message: the body, end_of_stream
  std::string authority_;
  const size_t concurrency_;
  const size_t requests_;  // 0: run for seconds_
  const double seconds_;
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams_;
  std::array<uint8_t, 64 << 10> read_buf_{};
  std::string write_buf_;
  bool writing_ = false;
  bool stopped_ = false;
  Clock::time_point t0_, t1_;
  size_t started_ = 0, live_ = 0, no_destination_ = 0, failed_ = 0;
  std::vector<double> latencies_;
  std::string error_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string epp, body;
  std::vector<std::string> headers;
  size_t concurrency = 1, requests = 0;
  double seconds = 3;
  CLI::App app{"Minimal HTTP/2 ext_proc client: the floor of `epp-bridge pick --epp-transport h2`"};
  app.add_option("--epp", epp, "EPP host:port (h2c)")->required();
  app.add_option("--body", body, "Request body");
  app.add_option("-H,--header", headers, "Request header 'name: value' (repeatable)");
  app.add_option("--concurrency", concurrency, "Streams in flight")->check(CLI::Range(1, 10000));
  app.add_option("--requests", requests, "Requests to finish (0: run for --seconds)");
  app.add_option("--seconds", seconds, "Length of the run when --requests is 0");
  CLI11_PARSE(app, argc, argv);

  auto colon = epp.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "--epp must be host:port\n");
    return 2;
  }
  // The request as `pick` builds it (pick_command.cc, BuildRequest): its
  // pseudo-headers, then -H headers, then content-length; x-request-id is
  // added per stream.
  eppb::BridgeRequest req;
  req.headers = {{":method", "POST"},
                 {":path", "/v1/chat/completions"},
                 {":authority", "localhost"},
                 {":scheme", "http"}};
  for (const auto& h : headers) {
    auto c = h.find(':');
    if (c == std::string::npos || c == 0) {
      std::fprintf(stderr, "header '%s' must be 'name: value'\n", h.c_str());
      return 2;
    }
    std::string value = h.substr(c + 1);
    value.erase(0, value.find_first_not_of(' '));
    req.headers.push_back({eppb::ToLower(h.substr(0, c)), value});
  }
  if (body.empty() || body.size() > kChunkBytes) {
    std::fprintf(stderr, "--body: 1 to %zu bytes (one body message)\n", kChunkBytes);
    return 2;
  }
  req.headers.push_back({"content-length", std::to_string(body.size())});
  req.body = body;
  std::vector<extproc::ProcessingRequest> msgs;
  eppb::MessageBuilder(kChunkBytes).Build(req, [&](const auto& m) { msgs.push_back(m); });

  asio::io_context io(1);
  if (msgs.size() != 2) return 2;  // headers, then the whole body in one message
  FloorClient client(io, msgs[0], msgs[1], concurrency, requests, seconds);
  if (!client.Connect(epp.substr(0, colon), epp.substr(colon + 1))) {
    client.Print();
    return 2;
  }
  client.Start();
  io.run();
  client.Print();
  return client.Ok() ? 0 : 1;
}
