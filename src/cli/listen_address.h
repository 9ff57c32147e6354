// Parses "ADDR:PORT" listen addresses ("127.0.0.1:54800", "[::1]:0").
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>

namespace eppb {

std::optional<boost::asio::ip::tcp::endpoint> ParseListenAddress(const std::string& s,
                                                                 std::string* error);

}  // namespace eppb
