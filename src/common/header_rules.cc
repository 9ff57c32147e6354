#include "common/header_rules.h"

#include <array>

namespace eppb {

bool IsHopByHop(std::string_view n) {
  static constexpr std::array<std::string_view, 9> kHop = {
      "connection", "keep-alive", "proxy-connection",    "transfer-encoding", "te",
      "trailer",    "upgrade",    "proxy-authorization", "proxy-authenticate"};
  for (auto h : kHop) {
    if (n == h) return true;
  }
  return false;
}

bool IsControlHeader(std::string_view n) { return n.starts_with("x-epp-"); }

bool IsRoutingHeader(std::string_view n) {
  return IsControlHeader(n) || n.starts_with("x-gateway-destination-endpoint");
}

bool IsValidHeaderName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (unsigned char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) {
      switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '.':
        case '^':
        case '_':
        case '`':
        case '|':
        case '~':
          ok = true;
          break;
        default:
          break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

bool IsValidHeaderValue(std::string_view value) {
  if (value.size() > 16384) return false;
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out;
  AssignLower(s, &out);
  return out;
}

void AssignLower(std::string_view s, std::string* out) {
  out->assign(s);
  for (auto& c : *out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

}  // namespace eppb
