// An upstream endpoint as the EPP names it ("ip:port" or "[ipv6]:port") and
// the strict parsers for endpoint lists and subset hints. Everything the EPP
// or a caller sends through here is untrusted input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eppb {

struct Endpoint {
  std::string address;  // canonical IP text, without brackets
  uint16_t port = 0;
  bool ipv6 = false;

  // "10.0.0.1:8000" or "[fd00::1]:8000".
  std::string ToString() const;
  bool operator==(const Endpoint&) const = default;
};

// A subset-hint token: an IP alone (any port) or an exact ip:port.
struct SubsetToken {
  std::string address;
  std::optional<uint16_t> port;
  // The same IP and, when the token has one, the same port.
  bool Matches(const Endpoint& e) const;
  // The same IP, whatever the ports: the reference EPP's rule for the subset
  // hint (docs/protocol.md). An IPv4-mapped IPv6 address equals its IPv4 one;
  // a bare IPv6 entry also admits the address before its last ':', as the
  // reference reads "fd00::1:8000".
  bool MatchesIp(const Endpoint& e) const;
};

// Parses "1-65535" with digits only.
std::optional<uint16_t> ParsePort(std::string_view s);
// Parses an IP literal (IPv4 dotted quad, or IPv6 with or without brackets)
// into canonical text. Rejects zone ids and host names.
std::optional<std::string> ParseIpLiteral(std::string_view s, bool* is_v6);
// Parses one "ip:port" / "[ipv6]:port" entry.
std::optional<Endpoint> ParseEndpoint(std::string_view s, std::string* error);
// Parses a comma-separated ordered list; every entry must be valid and the
// list must not be empty. Surrounding spaces are allowed, control bytes are not.
bool ParseEndpointList(std::string_view s, std::vector<Endpoint>* out, std::string* error);
// Parses a comma-separated list of subset tokens ("ip" or "ip:port").
bool ParseSubsetList(std::string_view s, std::vector<SubsetToken>* out, std::string* error);
// Joins endpoints with ','.
std::string JoinEndpoints(const std::vector<Endpoint>& list);

}  // namespace eppb
