// http1_floor_server: the least a keep-alive HTTP/1.1 server can do per
// request, the floor that the bridge's HTTP side is measured against
// (docs/benchmarks.md, "floors"). One thread, Boost.Beast: it reads each
// request with its body and answers the fixed decision the bridge would give
// for a pick (docs/protocol.md, "picked"): 200, X-EPP-Outcome: picked,
// X-Gateway-Destination-Endpoint and X-EPP-Endpoints naming --destination,
// X-EPP-Body: original, Content-Length: 0. It never asks an EPP.
//
//   http1_floor_server [--port N] [--destination IP:PORT]
//
// Listens on 127.0.0.1 only; --port 0 (the default) takes an ephemeral
// port. Prints "listening on 127.0.0.1:PORT" once bound.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <string>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxBodyBytes = 8 << 20;

// One connection: read a request, answer, until the client closes or asks
// to. The coroutine frame owns the socket and buffer; it ends with them.
asio::awaitable<void> Serve(tcp::socket socket, const http::response<http::empty_body>& decision) {
  boost::beast::flat_buffer buffer;
  boost::system::error_code ec;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxBodyBytes);
    co_await http::async_read(socket, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // closed by the client, or a bad request: drop the connection
    http::response<http::empty_body> res = decision;
    res.version(parser.get().version());
    res.keep_alive(parser.get().keep_alive());
    co_await http::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
}

asio::awaitable<void> Accept(tcp::acceptor& acceptor,
                             const http::response<http::empty_body>& decision) {
  boost::system::error_code ec;
  for (;;) {
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) continue;  // a failed accept (EMFILE, ...) must not end the server
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(acceptor.get_executor(), Serve(std::move(socket), decision), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = 0;
  std::string destination = "10.0.0.1:8000";
  CLI::App app{"Minimal keep-alive HTTP/1.1 server answering a fixed pick: the bridge's floor"};
  app.add_option("--port", port, "Port on 127.0.0.1 (0: ephemeral)");
  app.add_option("--destination", destination, "The endpoint every answer names");
  CLI11_PARSE(app, argc, argv);

  http::response<http::empty_body> decision{http::status::ok, 11};
  decision.set(http::field::server, "epp-bridge");
  decision.set("X-EPP-Outcome", "picked");
  decision.set("X-Gateway-Destination-Endpoint", destination);
  decision.set("X-EPP-Endpoints", destination);
  decision.set("X-EPP-Body", "original");
  decision.content_length(0);

  asio::io_context io(1);
  boost::system::error_code ec;
  tcp::acceptor acceptor(io);
  tcp::endpoint at(asio::ip::address_v4::loopback(), port);
  acceptor.open(at.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(at, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(stderr, "cannot listen on 127.0.0.1:%u: %s\n", port, ec.message().c_str());
    return 2;
  }
  std::printf("listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  asio::co_spawn(io, Accept(acceptor, decision), asio::detached);
  io.run();
  return 0;
}
