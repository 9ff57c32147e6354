// Opens, binds and listens a TCP acceptor: the one place listen errors are
// turned into a clear, fatal startup message.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>

namespace eppb {

bool ListenOn(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& at,
              const std::string& what, std::string* error);

}  // namespace eppb
