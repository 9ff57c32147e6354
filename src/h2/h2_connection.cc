#include "h2/h2_connection.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <optional>

#include "h2/grpc_timeout.h"
#include "observe/entry_guard.h"
#include "observe/logging.h"

namespace eppb {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr size_t kMaxWriteBytes = 64 << 10;     // gathered into one socket write
constexpr int32_t kStreamWindow = 1 << 20;      // per stream, for the EPP's replies
constexpr int32_t kConnectionWindow = 4 << 20;  // the whole connection
constexpr uint32_t kAssumedMaxStreams = 100;    // until the EPP's SETTINGS say otherwise
constexpr size_t kArenaBlockBytes = 16 << 10;   // a read's decisions fit; more grows, then goes

google::protobuf::ArenaOptions ArenaOn(char* block) {
  google::protobuf::ArenaOptions o;
  o.initial_block = block;
  o.initial_block_size = kArenaBlockBytes;
  return o;
}

// The host as an IP address; nullopt for a name.
std::optional<asio::ip::address> AsAddress(const std::string& host) {
  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  return address;
}

nghttp2_nv Field(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NO_COPY_NAME};  // names are literals
}

}  // namespace

H2Connection::H2Connection(H2Executor loop, EppTarget target,
                           std::shared_ptr<asio::ssl::context> tls, std::string server_name,
                           const H2ClientOptions& options, Events events)
    : loop_(loop),
      target_(std::move(target)),
      tls_(std::move(tls)),
      authority_(server_name.empty() ? target_.Key() : server_name),
      options_(options),
      events_(std::move(events)),
      resolver_(loop),
      socket_(loop),
      connect_timer_(loop),
      keepalive_timer_(loop),
      arena_block_(new char[kArenaBlockBytes]),
      reply_arena_(ArenaOn(arena_block_.get())) {}

H2Connection::~H2Connection() {
  if (session_) nghttp2_session_del(session_);
}

template <class Handler>
void H2Connection::AsyncWrite(Handler&& handler) {
  if (ssl_) {
    asio::async_write(*ssl_, asio::buffer(write_buf_), std::forward<Handler>(handler));
  } else {
    asio::async_write(socket_, asio::buffer(write_buf_), std::forward<Handler>(handler));
  }
}

template <class Handler>
void H2Connection::AsyncReadSome(Handler&& handler) {
  if (ssl_) {
    ssl_->async_read_some(asio::buffer(read_buf_), std::forward<Handler>(handler));
  } else {
    socket_.async_read_some(asio::buffer(read_buf_), std::forward<Handler>(handler));
  }
}

void H2Connection::Connect() {
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec || self->ready_ || self->closed_) return;
    Guarded("h2-connect-timeout", [&] {
      self->Fail("connect timeout after " + std::to_string(self->options_.connect_timeout.count()) +
                 " ms");
    });
  });
  // An address needs no resolver (nor its thread); names are resolved on
  // every connect, so a moved EPP is found again.
  if (auto address = AsAddress(target_.host)) {
    socket_.async_connect(asio::ip::tcp::endpoint(*address, target_.port),
                          [self = shared_from_this()](const error_code& ec) {
                            Guarded("h2-connect", [&] { self->OnConnected(ec); });
                          });
    return;
  }
  resolver_.async_resolve(target_.host, std::to_string(target_.port),
                          [self = shared_from_this()](const error_code& ec, auto results) {
                            Guarded("h2-resolve", [&] { self->OnResolved(ec, results); });
                          });
}

void H2Connection::OnResolved(const error_code& ec,
                              const asio::ip::tcp::resolver::results_type& results) {
  if (closed_) return;
  if (ec) return Fail("cannot resolve " + target_.host + ": " + ec.message());
  asio::async_connect(socket_, results,
                      [self = shared_from_this()](const error_code& ec, const auto&) {
                        Guarded("h2-connect", [&] { self->OnConnected(ec); });
                      });
}

void H2Connection::OnConnected(const error_code& ec) {
  if (closed_) return;
  if (ec) return Fail("cannot connect to " + target_.Key() + ": " + ec.message());
  error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  if (!tls_) {
    if (StartSession()) Read();
    return;
  }
  ssl_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_);
  std::string name = authority_ == target_.Key() ? target_.host : authority_;
  if (!AsAddress(name)) SSL_set_tlsext_host_name(ssl_->native_handle(), name.c_str());
  ssl_->set_verify_callback(asio::ssl::host_name_verification(name), ignored);
  ssl_->async_handshake(asio::ssl::stream_base::client,
                        [self = shared_from_this()](const error_code& ec) {
                          Guarded("h2-handshake", [&] { self->OnHandshake(ec); });
                        });
}

void H2Connection::OnHandshake(const error_code& ec) {
  if (closed_) return;
  if (ec) return Fail("TLS handshake with " + target_.Key() + " failed: " + ec.message());
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl_->native_handle(), &alpn, &alpn_len);
  if (std::string_view(reinterpret_cast<const char*>(alpn), alpn ? alpn_len : 0) != "h2") {
    return Fail("the EPP at " + target_.Key() + " did not agree to HTTP/2 (ALPN h2)");
  }
  if (StartSession()) Read();
}

bool H2Connection::StartSession() {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, OnBeginHeadersCb);
  nghttp2_session_callbacks_set_on_header_callback(cbs, OnHeaderCb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, OnFrameRecvCb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, OnDataChunkCb);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, OnStreamCloseCb);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, OnFrameNotSendCb);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_peer_max_concurrent_streams(opt, kAssumedMaxStreams);
  nghttp2_option_set_max_reserved_remote_streams(opt, 0);
  int rv = nghttp2_session_client_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) {
    Fail(std::string("cannot start an HTTP/2 session: ") + nghttp2_strerror(rv));
    return false;
  }
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(options_.max_header_bytes)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  Flush();
  return !closed_;
}

// The EPP's first SETTINGS: its stream limit is known, the waiting streams go.
void H2Connection::OnPeerSettings() {
  if (ready_ || closed_) return;
  ready_ = true;
  connect_timer_.cancel();
  last_ping_ack_ = last_heard_ = std::chrono::steady_clock::now();
  ArmKeepalive(options_.keepalive);
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& s : waiting) Submit(s);
  if (events_.ready) events_.ready(this);
}

void H2Connection::Add(std::shared_ptr<H2Stream> stream) {
  if (closed_) {
    return stream->Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection closed"));
  }
  if (!ready_) {
    waiting_.push_back(std::move(stream));
    return;
  }
  Submit(stream);
  FlushSoon();
}

bool H2Connection::HasRoom() const {
  uint32_t max = kAssumedMaxStreams;
  if (ready_) {
    max = nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  }
  return load() < max;
}

void H2Connection::Submit(const std::shared_ptr<H2Stream>& stream) {
  if (stream->done()) return;
  std::string timeout = FormatGrpcTimeout(stream->lifetime());
  const nghttp2_nv fields[] = {
      Field(":method", "POST"),
      Field(":scheme", tls_ ? "https" : "http"),
      Field(":path", stream->path()),
      Field(":authority", authority_),
      Field("content-type", "application/grpc"),
      Field("te", "trailers"),
      Field("grpc-timeout", timeout),
      Field("user-agent", "epp-bridge/" EPP_BRIDGE_VERSION " h2"),
  };
  nghttp2_data_provider provider{};
  provider.read_callback = ReadDataCb;
  int32_t id =
      nghttp2_submit_request(session_, nullptr, fields, std::size(fields), &provider, stream.get());
  if (id < 0) {
    // No stream ids left on this connection: the caller is told, and the
    // pool opens a new connection for later streams.
    draining_ = true;
    return stream->Fail(
        grpc::Status(grpc::StatusCode::UNAVAILABLE,
                     std::string("cannot open an HTTP/2 stream: ") + nghttp2_strerror(id)));
  }
  streams_.emplace(id, stream);
  stream->Attach(this, id);
}

void H2Connection::ResumeData(int32_t id) {
  if (session_ && !closed_) nghttp2_session_resume_data(session_, id);
}

void H2Connection::Reset(int32_t id, uint32_t h2_error_code) {
  if (!session_ || closed_) return;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, h2_error_code);
  ProbeIfSilent();
}

void H2Connection::Flush() {
  if (writing_ || closed_ || in_session_ || !session_) return;
  while (true) {
    while (write_buf_.size() < kMaxWriteBytes) {
      const uint8_t* data = nullptr;
      in_session_ = true;
      ssize_t n = nghttp2_session_mem_send(session_, &data);
      in_session_ = false;
      if (n < 0) return Fail(std::string("HTTP/2 error: ") + nghttp2_strerror(static_cast<int>(n)));
      if (n == 0) break;
      write_buf_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    if (closed_) return;
    if (write_buf_.empty()) {
      if (draining_ && streams_.empty() && waiting_.empty()) {
        auto keep = shared_from_this();  // the pool lets go of it below
        Shutdown(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection drained"));
        if (events_.closed) events_.closed(this, true, "the EPP sent GOAWAY");
      }
      return;
    }
    if (!WriteNow()) break;  // the kernel did not take it all: wait for room
  }
  if (closed_) return;
  writing_ = true;
  AsyncWrite([self = shared_from_this()](const error_code& ec, size_t) {
    Guarded("h2-write", [&] {
      self->writing_ = false;
      self->write_buf_.clear();
      if (self->closed_) return;
      if (ec) return self->Fail("write to the EPP failed: " + ec.message());
      self->Flush();
    });
  });
}

// Plaintext: one non-blocking send now, as the loop would make it anyway,
// without a round through the loop for its completion. TLS always writes
// through its stream.
bool H2Connection::WriteNow() {
  if (ssl_) return false;
  ssize_t n;
  do {
    n = ::send(socket_.native_handle(), write_buf_.data(), write_buf_.size(),
               MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    Fail(std::string("write to the EPP failed: ") + std::strerror(errno));
    return false;
  }
  write_buf_.erase(0, static_cast<size_t>(n));
  return write_buf_.empty();
}

void H2Connection::FlushSoon() {
  if (flush_posted_ || closed_) return;
  flush_posted_ = true;
  asio::post(loop_, [self = shared_from_this()] {
    Guarded("h2-flush", [&] {
      self->flush_posted_ = false;
      self->Flush();
    });
  });
}

void H2Connection::Read() {
  AsyncReadSome([self = shared_from_this()](const error_code& ec, size_t n) {
    Guarded("h2-read", [&] {
      if (self->closed_) return;
      if (ec) {
        return self->Fail(ec == asio::error::eof ? "the EPP closed the connection"
                                                 : "read from the EPP failed: " + ec.message());
      }
      self->last_heard_ = std::chrono::steady_clock::now();
      self->Receive(self->read_buf_.data(), n);
      self->DeliverReady();
      if (self->closed_) return;
      self->Flush();
      if (!self->closed_) self->Read();
    });
  });
}

void H2Connection::Receive(const uint8_t* data, size_t size) {
  in_session_ = true;
  ssize_t rv = nghttp2_session_mem_recv(session_, data, size);
  in_session_ = false;
  if (rv < 0) {
    Fail(std::string("HTTP/2 protocol error from the EPP: ") +
         nghttp2_strerror(static_cast<int>(rv)));
  }
}

void H2Connection::DeliverReady() {
  auto streams = std::move(to_deliver_);
  to_deliver_.clear();
  for (auto& stream : streams) stream->Deliver();
  if (!streams.empty()) reply_arena_.Reset();  // every reply of the read is handed over
}

void H2Connection::ArmKeepalive(std::chrono::milliseconds after) {
  keepalive_timer_.expires_after(after);
  keepalive_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec || self->closed_) return;
    Guarded("h2-keepalive", [&] { self->OnKeepalive(); });
  });
}

// While streams are open, a PING every keepalive period; no answer within the
// keepalive timeout means the connection is dead.
void H2Connection::OnKeepalive() {
  if (ping_outstanding_) return Fail("the EPP did not answer a keepalive PING");
  if (streams_.empty()) return ArmKeepalive(options_.keepalive);  // idle: no PING
  auto next = last_ping_ack_ + options_.keepalive;
  auto now = std::chrono::steady_clock::now();
  if (now < next) {
    return ArmKeepalive(std::chrono::ceil<std::chrono::milliseconds>(next - now));
  }
  SendPing();
}

void H2Connection::SendPing() {
  nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
  ping_outstanding_ = true;
  ArmKeepalive(options_.keepalive_timeout);  // OnKeepalive fails the connection if unanswered
  Flush();
}

void H2Connection::ProbeIfSilent() {
  if (!ready_ || ping_outstanding_) return;
  if (std::chrono::steady_clock::now() - last_heard_ < options_.keepalive_timeout) return;
  LogEventLimited(
      spdlog::level::info, "epp-connection-probe",
      {{"epp", target_.Key()}, {"why", "a stream was given up on a silent connection"}});
  SendPing();
}

void H2Connection::Fail(const std::string& why) {
  if (closed_) return;
  auto keep = shared_from_this();  // the pool lets go of it below
  bool was_ready = ready_;
  LogEventLimited(spdlog::level::warn, "epp-connection-lost",
                  {{"epp", target_.Key()}, {"why", why}});
  Shutdown(grpc::Status(grpc::StatusCode::UNAVAILABLE, why));
  if (events_.closed) events_.closed(this, was_ready, why);
}

void H2Connection::Shutdown(const grpc::Status& status) {
  if (closed_) return;
  closed_ = true;
  connect_timer_.cancel();
  keepalive_timer_.cancel();
  resolver_.cancel();
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  auto streams = std::move(streams_);
  streams_.clear();
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& [id, s] : streams) s->Fail(status);
  for (auto& s : waiting) s->Fail(status);
}

H2Stream* H2Connection::StreamOf(int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

int H2Connection::OnBeginHeadersCb(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<H2Connection*>(user);
  if (frame->hd.type == NGHTTP2_HEADERS) {
    if (H2Stream* s = self->StreamOf(frame->hd.stream_id)) s->OnBeginHeaders();
  }
  return 0;
}

int H2Connection::OnHeaderCb(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                             size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                             void* user) {
  auto* self = static_cast<H2Connection*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  H2Stream* s = self->StreamOf(frame->hd.stream_id);
  if (s == nullptr || s->done()) return 0;
  s->OnHeader(std::string_view(reinterpret_cast<const char*>(name), namelen),
              std::string_view(reinterpret_cast<const char*>(value), valuelen));
  return 0;
}

int H2Connection::OnFrameRecvCb(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<H2Connection*>(user);
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
    case NGHTTP2_DATA:
      if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
        if (H2Stream* s = self->StreamOf(frame->hd.stream_id)) s->OnPeerEnd();
      }
      break;
    case NGHTTP2_GOAWAY:
      // In-flight streams up to last_stream_id finish here; nghttp2 closes
      // the later ones (REFUSED_STREAM); new streams go to a new connection.
      if (!self->draining_) {
        self->draining_ = true;
        LogEventLimited(spdlog::level::info, "epp-goaway",
                        {{"epp", self->target_.Key()},
                         {"error_code", std::to_string(frame->goaway.error_code)}});
      }
      break;
    case NGHTTP2_SETTINGS:
      if (!(frame->hd.flags & NGHTTP2_FLAG_ACK)) self->OnPeerSettings();
      break;
    case NGHTTP2_PING:
      if (frame->hd.flags & NGHTTP2_FLAG_ACK) {
        self->ping_outstanding_ = false;
        self->last_ping_ack_ = std::chrono::steady_clock::now();
        self->ArmKeepalive(self->options_.keepalive);  // the next one a period after this
      }
      break;
    default:
      break;
  }
  return 0;
}

int H2Connection::OnDataChunkCb(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data,
                                size_t len, void* user) {
  auto* self = static_cast<H2Connection*>(user);
  if (H2Stream* s = self->StreamOf(id)) {
    s->OnData(std::string_view(reinterpret_cast<const char*>(data), len));
  }
  return 0;
}

void H2Connection::Closed(int32_t id, uint32_t h2_error_code) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  auto stream = std::move(it->second);
  streams_.erase(it);
  // REFUSED_STREAM (from the EPP, or nghttp2's for streams above a GOAWAY's
  // last stream id) says the EPP did not process it: safe to send again.
  if (h2_error_code == NGHTTP2_REFUSED_STREAM && events_.refused && stream->Rewind()) {
    return events_.refused(std::move(stream));
  }
  stream->OnClosed(h2_error_code);
}

int H2Connection::OnStreamCloseCb(nghttp2_session*, int32_t id, uint32_t error_code, void* user) {
  static_cast<H2Connection*>(user)->Closed(id, error_code);
  return 0;
}

int H2Connection::OnFrameNotSendCb(nghttp2_session*, const nghttp2_frame* frame, int, void* user) {
  // A request whose HEADERS never went out (cancelled first, or a GOAWAY
  // came before them) never opened: the EPP has not seen it.
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  static_cast<H2Connection*>(user)->Closed(frame->hd.stream_id, NGHTTP2_REFUSED_STREAM);
  return 0;
}

ssize_t H2Connection::ReadDataCb(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                                 uint32_t* flags, nghttp2_data_source*, void* user) {
  auto* self = static_cast<H2Connection*>(user);
  H2Stream* s = self->StreamOf(id);
  if (s == nullptr || s->done()) return NGHTTP2_ERR_DEFERRED;
  bool eof = false;
  size_t n = s->ReadOut(buf, length, &eof);
  if (eof) *flags |= NGHTTP2_DATA_FLAG_EOF;
  if (n == 0 && !eof) return NGHTTP2_ERR_DEFERRED;
  return static_cast<ssize_t>(n);
}

}  // namespace eppb
