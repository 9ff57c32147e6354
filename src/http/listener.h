// Accepts connections from NGINX (on the first worker loop) and hands each to a
// Session on the next worker's loop, round robin. One thread runs each loop,
// so the loop's executor orders the session's handlers as a strand would.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "http/server_context.h"
#include "net/worker_loops.h"

namespace eppb {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(WorkerLoops& loops, ServerContext* ctx);
  // Binds and listens; false with *error on failure (a fatal startup error).
  bool Listen(const boost::asio::ip::tcp::endpoint& at, std::string* error);
  void Run();
  void Stop();  // stops accepting; open connections finish their requests
  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  void DoAccept();
  WorkerLoops& loops_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer pause_;  // the acceptor's strand: a pause after a failed accept
  ServerContext* ctx_;
};

}  // namespace eppb
