// One HTTP/1.1 connection from NGINX (keep-alive): reads a request, runs its
// exchange, writes the answer, repeats. Everything runs on the connection's
// strand but the exchange's answer: the thread that decides it (usually one
// of gRPC's) writes it on the socket itself when the kernel takes it whole,
// so the answer does not wait for a strand thread to wake up. While an
// exchange runs, the socket is watched so that a caller that hangs up
// cancels the EPP stream at once; after an answer written that way, the same
// watch sees the next request arrive and hands the connection back to the
// strand.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "bridge/exchange.h"
#include "http/answer_writer.h"
#include "http/server_context.h"

namespace eppb {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket socket, ServerContext* ctx);
  void Run();

 private:
  enum class State {
    kReading,     // waiting for (the rest of) a request; idle between requests
    kExchanging,  // exchange in flight; socket watched for hang-up
    kWriting,     // answer being written
    kLingering,   // answered early (413, 431, 400): draining the unread request, then close
    kClosed,      // socket shut; the session dies with its last handler
  };

  void DoRead();
  void OnRead(boost::beast::error_code ec);
  void StartExchange();
  void WatchForHangup();
  void OnWatch(boost::system::error_code ec, uint64_t gen);
  // The exchange's answer, on the thread that decided it.
  void OnAnswer(BridgeAnswer answer);
  // Non-blocking: as much of head_ and body_ as the kernel takes now; -1
  // with `*err` set on a socket error.
  ssize_t SendNow(int* err);
  // Strand: writes head_ and body_ from byte `written` on (all of it for an
  // answer made on the strand; the rest of one OnAnswer could not write
  // whole), or ends the connection on `err`.
  void WriteRest(bool keep_alive, size_t written, int err);
  // The exchange is over, answered or abandoned: one fewer in flight.
  void EndInflight();
  void OnIdle(boost::system::error_code ec);
  // Metrics and the request's log line; every answer passes here once.
  void Account(const BridgeAnswer& answer);
  // Account, then the answer rendered into head_ and body_; returns whether
  // the connection stays open after it (not while draining).
  bool Render(BridgeAnswer answer, bool keep_alive);
  void Write(BridgeAnswer answer, bool keep_alive);
  void OnWrite(bool keep_alive, boost::beast::error_code ec);
  void Close();
  // Like NGINX's lingering close: the caller may still be sending the body we
  // refused; read and drop it (bounded in time and bytes) so it reads the answer.
  void Linger();
  void OnLingerRead(boost::beast::error_code ec, size_t n);

  boost::beast::tcp_stream stream_;
  const int fd_;  // the socket's descriptor; closed only by the strand, never mid-answer
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  ServerContext* ctx_;
  std::string head_, body_;  // the answer being written
  unsigned version_ = 11;
  bool keep_alive_ = true;
  std::chrono::steady_clock::time_point start_;
  std::string request_id_, epp_, trace_id_;  // for the request's log line
  bool linger_ = false;                      // the request was not read to its end
  size_t lingered_ = 0;                      // bytes dropped while lingering
  std::array<char, 16384> discard_;
  uint64_t generation_ = 0;  // bumps per request; stale hang-up watches are ignored
  State state_ = State::kReading;

  // The answer's hand-off between the strand and the deciding thread. From
  // StartExchange to the answer, the socket is the deciding thread's to
  // write; the strand only watches it and never closes it unless Abort()
  // says the answer will not come.
  enum class Turn {
    kIdle,        // no exchange, or the strand has the connection back
    kExchanging,  // the exchange runs; OnAnswer may write on the socket
    kAnswered,    // answer written whole by OnAnswer; the watch (or idle_timer_) goes on
  };
  std::mutex answer_mu_;
  Turn turn_ = Turn::kIdle;               // answer_mu_
  bool watching_ = false;                 // answer_mu_: the hang-up watch is pending
  std::shared_ptr<Exchange> exchange_;    // answer_mu_
  boost::asio::steady_timer idle_timer_;  // answer_mu_: keep-alive idle after kAnswered
};

}  // namespace eppb
