#include "serve/admin_server.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "net/accept_backoff.h"
#include "net/listen_socket.h"
#include "observe/entry_guard.h"
#include "observe/metrics.h"

namespace eppb {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// One admin connection: small requests, small answers, short timeouts.
class AdminServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket s, ReadyFn* ready) : stream_(std::move(s)), ready_(ready) {}
  void Read() {
    req_ = {};
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, req_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec)
                         Guarded(
                             "admin-read", [&] { self->Answer(); }, [&] { self->Close(); });
                     });
  }

 private:
  void Answer() {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(req_.version());
    res->keep_alive(req_.keep_alive());
    res->set(http::field::content_type, "text/plain; charset=utf-8");
    std::string target(req_.target());
    std::string why;
    if (req_.method() != http::verb::get && req_.method() != http::verb::head) {
      res->result(http::status::method_not_allowed);
      res->body() = "only GET\n";
    } else if (target == "/metrics") {
      res->set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res->body() = Metrics::Get().Serialize();
    } else if (target == "/healthz") {
      res->body() = "ok\n";
    } else if (target == "/readyz") {
      bool ready = (*ready_)(&why);
      res->result(ready ? http::status::ok : http::status::service_unavailable);
      res->body() = ready ? "ready\n" : why + "\n";
    } else {
      res->result(http::status::not_found);
      res->body() = "not found: try /metrics, /healthz, /readyz\n";
    }
    res->prepare_payload();
    if (req_.method() == http::verb::head) res->body().clear();  // Content-Length stays
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec || !res->keep_alive()) return self->Close();
                        Guarded(
                            "admin-read", [&] { self->Read(); }, [&] { self->Close(); });
                      });
  }
  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  ReadyFn* ready_;
};

AdminServer::AdminServer(asio::io_context& io, ReadyFn ready)
    : io_(io),
      acceptor_(asio::make_strand(io)),
      pause_(acceptor_.get_executor()),
      ready_(std::move(ready)) {}

bool AdminServer::Listen(const tcp::endpoint& at, std::string* error) {
  return ListenOn(acceptor_, at, " (admin)", error);
}

int AdminServer::port() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void AdminServer::Run() { DoAccept(); }

void AdminServer::Stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
    self->pause_.cancel();
  });
}

void AdminServer::DoAccept() {
  acceptor_.async_accept(asio::make_strand(io_), [self = shared_from_this()](
                                                     boost::system::error_code ec, tcp::socket s) {
    if (!self->acceptor_.is_open()) return;
    if (!ec) {
      std::make_shared<Connection>(std::move(s), &self->ready_)->Read();
    } else if (auto pause = AfterAcceptError(ec, "admin"); pause.count() > 0) {
      self->pause_.expires_after(pause);
      self->pause_.async_wait([self](boost::system::error_code) {
        if (self->acceptor_.is_open()) self->DoAccept();
      });
      return;
    }
    self->DoAccept();
  });
}

}  // namespace eppb
