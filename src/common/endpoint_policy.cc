#include "common/endpoint_policy.h"

#include <boost/asio/ip/address.hpp>

namespace eppb {

namespace ip = boost::asio::ip;

bool EndpointPolicy::AddCidr(std::string_view cidr, std::string* error) {
  std::string text(cidr);
  if (text.find('/') == std::string::npos) {
    text += text.find(':') == std::string::npos ? "/32" : "/128";
  }
  boost::system::error_code ec;
  if (text.find(':') == std::string::npos) {
    auto net = ip::make_network_v4(text, ec);
    if (!ec) {
      networks_.emplace_back(net.canonical());
      return true;
    }
  } else {
    auto net = ip::make_network_v6(text, ec);
    if (!ec) {
      networks_.emplace_back(net.canonical());
      return true;
    }
  }
  *error = "'" + std::string(cidr) + "' is not a CIDR (expected e.g. 10.0.0.0/8 or fd00::/8)";
  return false;
}

bool EndpointPolicy::Allowed(const Endpoint& e) const {
  if (networks_.empty()) return true;
  boost::system::error_code ec;
  auto addr = ip::make_address(e.address, ec);
  if (ec) return false;
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    addr = ip::make_address_v4(ip::v4_mapped, addr.to_v6());
  }
  for (const auto& n : networks_) {
    if (const auto* v4 = std::get_if<ip::network_v4>(&n)) {
      if (addr.is_v4() && ip::network_v4(addr.to_v4(), v4->prefix_length()).canonical() == *v4) {
        return true;
      }
    } else if (const auto* v6 = std::get_if<ip::network_v6>(&n)) {
      if (addr.is_v6() && ip::network_v6(addr.to_v6(), v6->prefix_length()).canonical() == *v6) {
        return true;
      }
    }
  }
  return false;
}

std::optional<Failure> EndpointPolicy::Check(const std::vector<Endpoint>& endpoints,
                                             const std::vector<std::string>& subset,
                                             std::string* detail) const {
  std::vector<SubsetToken> tokens;
  for (const auto& s : subset) {
    std::vector<SubsetToken> parsed;
    std::string ignored;
    if (ParseSubsetList(s, &parsed, &ignored)) {  // validated when the request was read
      tokens.insert(tokens.end(), parsed.begin(), parsed.end());
    }
  }
  for (const auto& e : endpoints) {
    if (!Allowed(e)) {
      *detail = "EPP chose " + e.ToString() + ", outside --allowed-endpoint-cidr";
      return Failure::kEndpointNotAllowed;
    }
    if (tokens.empty()) continue;
    bool member = false;
    for (const auto& t : tokens) member = member || t.MatchesIp(e);
    if (!member) {
      *detail = "EPP chose " + e.ToString() + ", outside the subset hint";
      return Failure::kEndpointOutsideSubset;
    }
  }
  return {};
}

}  // namespace eppb
