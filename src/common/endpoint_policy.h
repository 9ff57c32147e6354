// Which endpoints an EPP decision may name: an optional CIDR allowlist set
// at startup, and, per request, the subset hint the caller sent. A decision
// that names any endpoint outside either is refused as a whole: the EPP is
// untrusted, and a fallback list with one bad entry is a broken decision.
#pragma once

#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/endpoint.h"
#include "common/failure.h"

namespace eppb {

class EndpointPolicy {
 public:
  // Adds "10.0.0.0/8", "fd00::/8" or a bare address (a /32 or /128).
  // Returns false with `error` set on anything else.
  bool AddCidr(std::string_view cidr, std::string* error);
  bool restricts() const { return !networks_.empty(); }

  // Nothing when every endpoint is acceptable; otherwise the failure
  // (kEndpointNotAllowed, kEndpointOutsideSubset) and `detail`.
  // `subset` holds the hint entries as sent (already validated). Subset
  // membership is by IP only, ports aside, as llm-d-router matches the hint
  // (docs/protocol.md): data-parallel ranks share an IP on several ports.
  std::optional<Failure> Check(const std::vector<Endpoint>& endpoints,
                               const std::vector<std::string>& subset, std::string* detail) const;

 private:
  bool Allowed(const Endpoint& e) const;

  using Network = std::variant<boost::asio::ip::network_v4, boost::asio::ip::network_v6>;
  std::vector<Network> networks_;
};

}  // namespace eppb
