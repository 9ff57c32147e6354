#include "net/listen_socket.h"

namespace eppb {

bool ListenOn(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& at,
              const std::string& what, std::string* error) {
  namespace asio = boost::asio;
  boost::system::error_code ec;
  acceptor.open(at.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(at, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    *error = "cannot listen" + what + " on " + at.address().to_string() + ":" +
             std::to_string(at.port()) + ": " + ec.message();
    return false;
  }
  return true;
}

}  // namespace eppb
