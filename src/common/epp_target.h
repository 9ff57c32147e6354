// The EPP a request names: host (IP literal or DNS name) and port.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eppb {

struct EppTarget {
  std::string host;  // IP text without brackets, or a lower-cased DNS name
  uint16_t port = 0;
  bool ipv6 = false;

  // "host:port" / "[v6]:port": the key of the channel registry and of logs.
  std::string Key() const;
  // The gRPC target URI ("ipv4:…", "ipv6:…" or "dns:///…").
  std::string GrpcUri() const;

  // Validates a host and a port as sent in X-EPP-Host / X-EPP-Port.
  static std::optional<EppTarget> Parse(std::string_view host, std::string_view port,
                                        std::string* error);
  // Parses "host:port" / "[v6]:port" (flags, allow lists).
  static std::optional<EppTarget> ParseHostPort(std::string_view s, std::string* error);
};

}  // namespace eppb
