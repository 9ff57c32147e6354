// One HTTP/2 connection to an EPP (h2c, or TLS with ALPN h2) and the gRPC
// streams on it, driven by nghttp2 (framing, HPACK, flow control) over an
// Asio socket.
//
// Threads: everything runs on the pool's loop; nothing here is called
// from anywhere else. nghttp2's callbacks run inside Receive()/Flush() on
// that loop; they never write (writes are pulled by Flush afterwards).
//
// Lifetime: the pool holds it while it can carry streams, and its own
// pending reads, writes and timers hold it (shared_from_this). Shutdown()
// is the one place it ends: the socket closes and every stream still on it
// fails; the nghttp2 session goes with the object.
#pragma once

#include <google/protobuf/arena.h>
#include <nghttp2/nghttp2.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/epp_target.h"
#include "h2/h2_client_options.h"
#include "h2/h2_executor.h"
#include "h2/h2_stream.h"

namespace eppb {

class H2Connection final : public std::enable_shared_from_this<H2Connection> {
 public:
  // What the pool hears (on the loop): the connection is usable, or it is gone
  // (`was_ready`: it had connected; `why`: the reason, for logs and statuses);
  // a stream the EPP refused unprocessed, rewound to be placed again.
  struct Events {
    std::function<void(H2Connection*)> ready;
    std::function<void(H2Connection*, bool was_ready, const std::string& why)> closed;
    std::function<void(std::shared_ptr<H2Stream>)> refused;
  };

  H2Connection(H2Executor loop, EppTarget target, std::shared_ptr<boost::asio::ssl::context> tls,
               std::string server_name, const H2ClientOptions& options, Events events);
  ~H2Connection();

  // Resolves the target again, connects and, with TLS, handshakes, then
  // waits for the EPP's SETTINGS (all bounded by the connect timeout);
  // streams added meanwhile wait, so the EPP's stream limit is known first.
  void Connect();
  // Submits the stream now when connected, else when connected.
  void Add(std::shared_ptr<H2Stream> stream);
  // Not draining (GOAWAY) nor closed.
  bool usable() const { return !draining_ && !closed_; }
  // The EPP's SETTINGS arrived and the connection is not closed.
  bool ready() const { return ready_ && !closed_; }
  // Streams open or waiting, against the peer's SETTINGS_MAX_CONCURRENT_STREAMS.
  size_t load() const { return streams_.size() + waiting_.size(); }
  bool HasRoom() const;
  // Ends every stream with `status` and closes the socket (idempotent).
  void Shutdown(const grpc::Status& status);

  // --- for the streams ---
  void ResumeData(int32_t id);
  // RST_STREAM; on a connection silent for the keepalive timeout, a PING too
  // (ProbeIfSilent).
  void Reset(int32_t id, uint32_t h2_error_code);
  void Flush();  // writes what nghttp2 has queued (one write at a time)
  // A stream has replies (or its end) from the read in progress: it gets
  // them once nghttp2 has returned (DeliverReady), outside its callbacks.
  void DeliverLater(std::shared_ptr<H2Stream> stream) { to_deliver_.push_back(std::move(stream)); }
  // Where a read's replies are parsed: they live until DeliverReady has
  // handed them over, then it is reset.
  google::protobuf::Arena* reply_arena() { return &reply_arena_; }
  // Flushes once the handlers already queued on the loop have run, so what
  // several exchanges submit in one turn of the loop leaves in one write.
  void FlushSoon();

 private:
  // Plaintext: sends write_buf_ without blocking; true when all of it went.
  bool WriteNow();
  void OnResolved(const boost::system::error_code& ec,
                  const boost::asio::ip::tcp::resolver::results_type& results);
  void OnConnected(const boost::system::error_code& ec);
  void OnHandshake(const boost::system::error_code& ec);
  bool StartSession();    // the nghttp2 session and our SETTINGS
  void OnPeerSettings();  // the EPP's first SETTINGS: ready, the waiting streams go out
  void Submit(const std::shared_ptr<H2Stream>& stream);
  void Read();
  void Receive(const uint8_t* data, size_t size);
  void DeliverReady();  // after Receive: each stream's replies, then its end
  void ArmKeepalive(std::chrono::milliseconds after);
  void OnKeepalive();
  // A PING, answered within the keepalive timeout or the connection fails.
  void SendPing();
  // A stream was given up (deadline, cancel): on a connection that has
  // heard nothing for the keepalive timeout, a PING now tells a stalled or
  // unreachable EPP at once instead of at the next keepalive.
  void ProbeIfSilent();
  void Fail(const std::string& why);  // Shutdown with UNAVAILABLE, and tell the pool
  template <class Handler>
  void AsyncWrite(Handler&& handler);
  template <class Handler>
  void AsyncReadSome(Handler&& handler);

  // nghttp2 callbacks (user_data is the connection).
  static int OnBeginHeadersCb(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int OnHeaderCb(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                        size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                        void* user);
  static int OnFrameRecvCb(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int OnDataChunkCb(nghttp2_session*, uint8_t flags, int32_t id, const uint8_t* data,
                           size_t len, void* user);
  static int OnFrameNotSendCb(nghttp2_session*, const nghttp2_frame* frame, int error, void* user);
  static int OnStreamCloseCb(nghttp2_session*, int32_t id, uint32_t error_code, void* user);
  static ssize_t ReadDataCb(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                            uint32_t* flags, nghttp2_data_source* source, void* user);
  H2Stream* StreamOf(int32_t id);
  // nghttp2 is done with stream `id`: it is forgotten here, then retried
  // (refused unprocessed, once) or told how it closed.
  void Closed(int32_t id, uint32_t h2_error_code);

  H2Executor loop_;
  const EppTarget target_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // nullptr: h2c
  const std::string authority_;                     // :authority, and the name TLS checks
  const H2ClientOptions options_;
  Events events_;

  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> ssl_;
  boost::asio::steady_timer connect_timer_;
  boost::asio::steady_timer keepalive_timer_;
  nghttp2_session* session_ = nullptr;

  // The streams nghttp2 knows, by id; and those waiting for the connection.
  std::unordered_map<int32_t, std::shared_ptr<H2Stream>> streams_;
  std::vector<std::shared_ptr<H2Stream>> waiting_;

  std::array<uint8_t, 65536> read_buf_;  // filled by each read; a large echo takes few reads
  std::string write_buf_;                // bounded: one write of at most kMaxWriteBytes + a frame
  bool writing_ = false;
  bool flush_posted_ = false;                          // a FlushSoon is queued
  std::vector<std::shared_ptr<H2Stream>> to_deliver_;  // filled inside Receive only
  // The replies of one read. Its first block is this connection's own, kept
  // across resets, so a read of small replies allocates nothing; a larger
  // one's extra blocks go at the reset.
  std::unique_ptr<char[]> arena_block_;
  google::protobuf::Arena reply_arena_;
  bool in_session_ = false;  // inside nghttp2 (a callback may not write)
  bool ready_ = false;       // the EPP's SETTINGS arrived (bounded by the connect timeout)
  bool draining_ = false;    // GOAWAY received
  bool closed_ = false;
  bool ping_outstanding_ = false;
  std::chrono::steady_clock::time_point last_ping_ack_;
  std::chrono::steady_clock::time_point last_heard_;  // the last read that brought bytes
};

}  // namespace eppb
