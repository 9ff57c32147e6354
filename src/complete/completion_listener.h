// Receives NGINX's completion records on a unix datagram socket (NGINX's
// `access_log syslog:server=unix:PATH`) and routes each to its held stream.
// Adds nothing to the client's path: NGINX writes the record after the
// response, without waiting, and a lost record only means the stream is
// closed by its TTL instead.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <memory>
#include <string>

#include "bridge/held_stream_table.h"

namespace eppb {

class CompletionListener : public std::enable_shared_from_this<CompletionListener> {
 public:
  CompletionListener(boost::asio::io_context& io, HeldStreamTable* table);
  ~CompletionListener();
  // Binds PATH (replacing a stale socket file); false with *error.
  bool Bind(const std::string& path, std::string* error);
  void Run();
  void Stop();

 private:
  void DoReceive();
  boost::asio::local::datagram_protocol::socket socket_;
  HeldStreamTable* table_;
  std::string path_;
  std::array<char, 8192> buffer_;
};

}  // namespace eppb
