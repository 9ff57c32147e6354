// One HTTP/1.1 connection from NGINX (keep-alive): reads a request, runs its
// exchange, writes the answer, repeats.
//
// Threads: the session, its socket and its exchange belong to the
// connection's strand. Everything below runs there, including the
// exchange's answer (Exchange calls `done` on the same strand), so only the
// strand ever reads, writes or closes the connection, and nothing here
// takes a lock. From a request's end to its answer one read stays pending
// (the read-ahead), so that a caller that hangs up cancels the EPP stream at
// once; it is also the next request's first read.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "bridge/exchange.h"
#include "http/answer_writer.h"
#include "http/request_parser.h"
#include "http/server_context.h"

namespace eppb {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket socket, ServerContext* ctx);
  void Run();

 private:
  enum class State {
    kReading,     // waiting for (the rest of) a request; idle between requests
    kStreaming,   // body arriving (Content-Length): the EPP has the headers and gets the
                  // body as it comes; an answer that comes first waits in `answer_`
    kExchanging,  // exchange in flight; the read-ahead tells a hang-up
    kWriting,     // answer being written
    kLingering,   // answered early (413, 431, 400): draining the unread request, then close
    kClosed,      // socket shut; the session dies with its last handler
  };

  // Runs a completion handler's body behind the entry-point guard.
  template <class Body>
  void Guard(const char* where, Body&& body);

  void DoRead();                               // the next request's header
  void OnHeader(boost::beast::error_code ec);  // framing checks, 100 Continue
  void ReadBody();
  void OnBody(boost::beast::error_code ec);
  // A read that failed: a closed connection, or a request refused with
  // 413/431/400 (then a lingering close).
  void OnReadError(boost::beast::error_code ec);
  void SendContinue();
  // The request, whole: translated, then its exchange.
  void StartExchange();
  // The header is in and a body of known length follows: the exchange
  // starts now, and the body goes to the EPP as it arrives.
  void StreamBody();
  void ReadBodyPiece();
  void OnBodyPiece(boost::beast::error_code ec);
  // Translates the request and starts its exchange (its body, if
  // `body_follows`, still to come). False with the answer in `*answer` when
  // the request is refused before any exchange.
  bool Open(bool body_follows, BridgeAnswer* answer);
  // The request is all read and its exchange runs: no read timeout, and the
  // read-ahead pending (kExchanging).
  void AwaitAnswer();
  // One read into buffer_, pending until bytes come or the connection ends:
  // while kExchanging an end is a hang-up and bytes are the caller's next
  // request (kept, not read further); once the answer is out, it is that
  // request's first read (kReading) or a linger read (kLingering), bounded
  // by `ahead_timer_`. It is never re-armed: no system call per request
  // beyond the read that returns nothing yet.
  void ReadAhead();
  void OnReadAhead(boost::system::error_code ec, size_t n);
  // The answer is out and the read-ahead still pending: it may wait `limit`.
  void BoundReadAhead(std::chrono::milliseconds limit);
  // The exchange's answer (from Exchange's `done`, on the strand).
  void OnAnswer(BridgeAnswer answer);
  // The exchange is over, answered or abandoned: one fewer in flight.
  void EndInflight();
  // An exception was caught at one of our handlers: answer 500 if the
  // request has no answer yet, else close.
  void HandleInternalError();
  // Metrics and the request's log line; every answer passes here once.
  void Account(const BridgeAnswer& answer);
  // Account, then the answer rendered into head_ and body_ (no body for
  // HEAD); returns whether the connection stays open after it.
  bool Render(BridgeAnswer answer, bool keep_alive);
  // Render, then as much as the socket takes now; the rest asynchronously.
  void Write(BridgeAnswer answer, bool keep_alive);
  // Non-blocking: as much of head_ and body_ as the kernel takes now; -1
  // on a socket error.
  ssize_t SendNow();
  void WriteRest(bool keep_alive, size_t written);
  void OnWrite(bool keep_alive, boost::beast::error_code ec);
  // The answer is out: the next request, a lingering close or a close.
  void AfterWrite(bool keep_alive);
  void Close();
  // Like NGINX's lingering close: the caller may still be sending the body we
  // refused; read and drop it (bounded in time and bytes) so it reads the answer.
  void Linger();
  void OnLingerRead(boost::beast::error_code ec, size_t n);

  boost::beast::tcp_stream stream_;
  const int fd_;  // the socket's descriptor, for the non-blocking fast paths
  boost::beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  ServerContext* ctx_;
  std::string head_, body_;  // the answer being written
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_request_ = false;  // HEAD: the answer has no body
  bool want_body_ = false;     // X-EPP-Want-Body: 1 (a rewritten body is returned)
  std::chrono::steady_clock::time_point start_;
  std::string request_id_, epp_, trace_id_;  // for the request's log line
  bool linger_ = false;                      // the request was not read to its end
  size_t lingered_ = 0;                      // bytes dropped while lingering
  std::array<char, 16384> discard_;
  bool read_ahead_pending_ = false;
  // The read-ahead ended with an error while the answer was being written:
  // the connection closes once it is out.
  boost::system::error_code read_ahead_error_;
  uint64_t ahead_generation_ = 0;  // bumps per read-ahead; a stale bound is ignored
  boost::asio::steady_timer ahead_timer_;
  State state_ = State::kReading;
  std::shared_ptr<Exchange> exchange_;  // while kStreaming (until answered) and kExchanging
  // kStreaming: the answer, once known, written when the body has all arrived.
  std::optional<BridgeAnswer> answer_;
};

}  // namespace eppb
