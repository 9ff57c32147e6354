#include "cli/listen_address.h"

#include "common/endpoint.h"

namespace eppb {

std::optional<boost::asio::ip::tcp::endpoint> ParseListenAddress(const std::string& s,
                                                                 std::string* error) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) {
    *error = "listen address must be ADDR:PORT, got '" + s + "'";
    return std::nullopt;
  }
  std::string host = s.substr(0, colon), port = s.substr(colon + 1);
  bool v6 = false;
  auto ip = ParseIpLiteral(host, &v6);
  if (!ip || (v6 && host.front() != '[')) {
    *error = "listen address must be an IP literal ([v6] in brackets), got '" + host + "'";
    return std::nullopt;
  }
  unsigned p = 0;
  if (port != "0") {
    auto parsed = ParsePort(port);
    if (!parsed) {
      *error = "listen port must be 0-65535, got '" + port + "'";
      return std::nullopt;
    }
    p = *parsed;
  }
  return boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(*ip),
                                        static_cast<unsigned short>(p));
}

}  // namespace eppb
