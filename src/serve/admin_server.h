// The admin listener: GET /metrics (Prometheus text), /healthz (the process
// is alive) and /readyz (listeners up, configuration valid, not draining).
// EPP health does not affect readiness: one unhealthy EPP must not take the
// whole NGINX Pod out of service; NJS failure modes handle a broken EPP.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>

namespace eppb {

class AdminServer : public std::enable_shared_from_this<AdminServer> {
 public:
  using ReadyFn = std::function<bool(std::string* why)>;
  AdminServer(boost::asio::io_context& io, ReadyFn ready);
  bool Listen(const boost::asio::ip::tcp::endpoint& at, std::string* error);
  void Run();
  void Stop();
  int port() const;

 private:
  class Connection;
  void DoAccept();
  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer pause_;  // the acceptor's strand: a pause after a failed accept
  ReadyFn ready_;
};

}  // namespace eppb
