#include "http/listener.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "http/session.h"
#include "net/accept_backoff.h"
#include "net/listen_socket.h"
#include "observe/entry_guard.h"

namespace eppb {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(WorkerLoops& loops, ServerContext* ctx)
    : loops_(loops),
      acceptor_(asio::make_strand(loops.at(0))),
      pause_(acceptor_.get_executor()),
      ctx_(ctx) {}

bool Listener::Listen(const tcp::endpoint& at, std::string* error) {
  return ListenOn(acceptor_, at, "", error);
}

tcp::endpoint Listener::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void Listener::Run() { DoAccept(); }

void Listener::Stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
    self->pause_.cancel();
  });
}

void Listener::DoAccept() {
  acceptor_.async_accept(loops_.Next(), [self = shared_from_this()](boost::system::error_code ec,
                                                                    tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (ec) {
      auto pause = AfterAcceptError(ec, "http");
      if (pause.count() > 0) {
        self->pause_.expires_after(pause);
        self->pause_.async_wait([self](boost::system::error_code) {
          if (self->acceptor_.is_open()) self->DoAccept();
        });
        return;
      }
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      Guarded("accept", [&] { std::make_shared<Session>(std::move(socket), self->ctx_)->Run(); });
    }
    self->DoAccept();
  });
}

}  // namespace eppb
