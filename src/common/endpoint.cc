#include "common/endpoint.h"

#include <boost/asio/ip/address.hpp>
#include <charconv>

namespace eppb {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool HasControlBytes(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

template <typename Fn>
bool ForEachItem(std::string_view s, std::string* error, Fn fn) {
  if (HasControlBytes(s)) {
    *error = "control character in list";
    return false;
  }
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    if (!fn(Trim(s.substr(start, comma - start)))) return false;
    start = comma + 1;
  }
  return true;
}

// The common case without allocation: a dotted quad exactly as inet_pton
// accepts it (four decimal octets up to 255, no leading zeros), which is
// also its canonical text. Anything made only of digits and dots that fails
// here is no address at all.
bool IsDottedQuad(std::string_view s) {
  int octets = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    unsigned v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 4) {
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
    }
    size_t digits = i - start;
    if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && s[start] == '0')) return false;
    if (++octets > 4) return false;
    if (i == s.size()) break;
    if (s[i] != '.' || i + 1 == s.size()) return false;
    ++i;
  }
  return octets == 4;
}

// Canonical "::ffff:a.b.c.d" (an IPv4-mapped IPv6 address) → "a.b.c.d".
std::string_view WithoutV4Mapping(std::string_view canonical) {
  constexpr std::string_view kMapped = "::ffff:";
  if (canonical.starts_with(kMapped) && IsDottedQuad(canonical.substr(kMapped.size()))) {
    return canonical.substr(kMapped.size());
  }
  return canonical;
}

bool OnlyDigitsAndDots(std::string_view s) {
  for (char c : s) {
    if ((c < '0' || c > '9') && c != '.') return false;
  }
  return true;
}

}  // namespace

std::string Endpoint::ToString() const {
  if (ipv6) return "[" + address + "]:" + std::to_string(port);
  return address + ":" + std::to_string(port);
}

bool SubsetToken::Matches(const Endpoint& e) const {
  return e.address == address && (!port || *port == e.port);
}

bool SubsetToken::MatchesIp(const Endpoint& e) const {
  const std::string_view ip = WithoutV4Mapping(e.address);
  if (ip == WithoutV4Mapping(address)) return true;
  // A bare IPv6 entry such as "fd00::1:8000": llm-d-router cuts every entry
  // at its last ':' and so reads the IP fd00::1 (port 8000). Admit that too.
  const size_t colon = address.rfind(':');
  if (port || colon == std::string::npos || WithoutV4Mapping(address) != address) return false;
  bool v6 = false;
  auto cut = ParseIpLiteral(std::string_view(address).substr(0, colon), &v6);
  return cut && *cut == ip;
}

std::optional<uint16_t> ParsePort(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  unsigned v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  if (v < 1 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

std::optional<std::string> ParseIpLiteral(std::string_view s, bool* is_v6) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (s.empty() || s.size() > 64 || s.find('%') != std::string_view::npos) return std::nullopt;
  if (OnlyDigitsAndDots(s)) {
    if (!IsDottedQuad(s)) return std::nullopt;
    *is_v6 = false;
    return std::string(s);
  }
  if (HasControlBytes(s)) return std::nullopt;
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(std::string(s), ec);
  if (ec) return std::nullopt;
  *is_v6 = addr.is_v6();
  return addr.to_string();
}

std::optional<Endpoint> ParseEndpoint(std::string_view s, std::string* error) {
  if (s.empty()) {
    *error = "empty endpoint";
    return std::nullopt;
  }
  size_t colon;
  std::string_view host;
  if (s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      *error = "bad IPv6 endpoint";
      return std::nullopt;
    }
    host = s.substr(0, close + 1);
    colon = close + 1;
  } else {
    colon = s.rfind(':');
    if (colon == std::string_view::npos || s.find(':') != colon) {
      *error = "endpoint must be ip:port or [ipv6]:port";
      return std::nullopt;
    }
    host = s.substr(0, colon);
  }
  auto port = ParsePort(s.substr(colon + 1));
  if (!port) {
    *error = "port must be 1-65535";
    return std::nullopt;
  }
  Endpoint e;
  auto ip = ParseIpLiteral(host, &e.ipv6);
  if (!ip || (e.ipv6 && host.front() != '[')) {
    *error = "address must be an IP literal";
    return std::nullopt;
  }
  e.address = std::move(*ip);
  e.port = *port;
  return e;
}

bool ParseEndpointList(std::string_view s, std::vector<Endpoint>* out, std::string* error) {
  out->clear();
  bool ok = ForEachItem(s, error, [&](std::string_view item) {
    auto e = ParseEndpoint(item, error);
    if (!e) return false;
    out->push_back(std::move(*e));
    return true;
  });
  if (ok && out->empty()) {
    *error = "empty endpoint list";
    ok = false;
  }
  if (!ok) out->clear();
  return ok;
}

bool ParseSubsetList(std::string_view s, std::vector<SubsetToken>* out, std::string* error) {
  out->clear();
  bool ok = ForEachItem(s, error, [&](std::string_view item) {
    if (item.empty()) {
      *error = "empty subset entry";
      return false;
    }
    SubsetToken t;
    bool v6 = false;
    if (auto ip = ParseIpLiteral(item, &v6)) {
      t.address = std::move(*ip);
    } else if (auto e = ParseEndpoint(item, error)) {
      t.address = e->address;
      t.port = e->port;
    } else {
      *error = "subset entry must be ip or ip:port";
      return false;
    }
    out->push_back(std::move(t));
    return true;
  });
  if (!ok) out->clear();
  return ok;
}

std::string JoinEndpoints(const std::vector<Endpoint>& list) {
  std::string s;
  for (const auto& e : list) {
    if (!s.empty()) s += ',';
    s += e.ToString();
  }
  return s;
}

}  // namespace eppb
