// One HTTP/1.1 connection from NGINX (keep-alive): reads a request, runs its
// exchange, writes the answer, repeats. Everything runs on the connection's
// strand. While an exchange runs, the socket is watched so that a caller
// that hangs up cancels the EPP stream at once.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
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
  void OnAnswer(BridgeAnswer answer);
  // Metrics and the request's log line; every answer passes here once.
  void Account(const BridgeAnswer& answer);
  void Write(BridgeAnswer answer, bool keep_alive);
  void OnWrite(bool keep_alive, boost::beast::error_code ec);
  void Close();
  // Like NGINX's lingering close: the caller may still be sending the body we
  // refused; read and drop it (bounded in time and bytes) so it reads the answer.
  void Linger();
  void OnLingerRead(boost::beast::error_code ec, size_t n);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  ServerContext* ctx_;
  std::shared_ptr<Exchange> exchange_;
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
};

}  // namespace eppb
