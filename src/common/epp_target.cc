#include "common/epp_target.h"

#include "common/endpoint.h"
#include "common/header_rules.h"

namespace eppb {
namespace {

bool IsDnsName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
    if (c == '-' && label == 1) return false;
  }
  return s.back() != '-';
}

// True when the last label is a number (decimal, or 0x hex), as in 127.1,
// 2130706433 or 0x7f.1: the resolver would read the name as an IPv4 address
// in a non-canonical spelling (the WHATWG URL host rule "ends in a number").
bool EndsInANumber(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  size_t dot = s.rfind('.');
  std::string_view last = dot == std::string_view::npos ? s : s.substr(dot + 1);
  if (last.empty()) return false;
  bool digits = true;
  for (char c : last) digits = digits && c >= '0' && c <= '9';
  if (digits) return true;
  if (last.size() < 2 || last[0] != '0' || (last[1] != 'x' && last[1] != 'X')) return false;
  for (char c : last.substr(2)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string EppTarget::Key() const {
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string EppTarget::GrpcUri() const {
  bool v6 = false;
  if (ParseIpLiteral(host, &v6)) return (v6 ? "ipv6:" : "ipv4:") + Key();
  return "dns:///" + Key();
}

std::optional<EppTarget> EppTarget::Parse(std::string_view host, std::string_view port,
                                          std::string* error) {
  EppTarget t;
  auto p = ParsePort(port);
  if (!p) {
    *error = "X-EPP-Port must be a number from 1 to 65535";
    return std::nullopt;
  }
  t.port = *p;
  if (auto ip = ParseIpLiteral(host, &t.ipv6)) {
    t.host = std::move(*ip);
  } else if (EndsInANumber(host)) {
    // One EPP must have one key (one channel, one slot): IPv4 addresses only as a.b.c.d.
    *error = "X-EPP-Host: an IPv4 address must be written a.b.c.d (no 127.1, 2130706433, 0x7f.1)";
    return std::nullopt;
  } else if (IsDnsName(host)) {
    t.host = ToLower(host);
  } else {
    *error = "X-EPP-Host must be an IP address or a DNS name";
    return std::nullopt;
  }
  return t;
}

std::optional<EppTarget> EppTarget::ParseHostPort(std::string_view s, std::string* error) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) {
    *error = "expected host:port";
    return std::nullopt;
  }
  std::string_view host = s.substr(0, colon);
  if (host.find(':') != std::string_view::npos && host.front() != '[') {
    *error = "IPv6 hosts need brackets: [addr]:port";
    return std::nullopt;
  }
  return Parse(host, s.substr(colon + 1), error);
}

}  // namespace eppb
