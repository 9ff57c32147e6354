#include "render/names.h"

#include <cctype>
#include <string_view>

namespace eppb::render {

namespace {
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
}  // namespace

bool IsDnsLabel(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  if (!IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

bool IsDnsSubdomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    const std::string label =
        s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!IsDnsLabel(label)) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

bool IsGatewayHostname(const std::string& s) {
  if (s.rfind("*.", 0) == 0) return IsDnsSubdomain(s.substr(2));
  return IsDnsSubdomain(s);
}

bool IsGatewayPath(const std::string& s) {
  // Gateway API: ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$, starting with '/'.
  static constexpr std::string_view kAllowed = "-/._~!$&'()*+,;=:@";
  if (s.empty() || s.front() != '/' || s.size() > 1024) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (std::isalnum(static_cast<unsigned char>(c)) || kAllowed.find(c) != std::string_view::npos) {
      continue;
    }
    if (c == '%' && i + 2 < s.size() && IsHex(s[i + 1]) && IsHex(s[i + 2])) {
      i += 2;
      continue;
    }
    return false;
  }
  return true;
}

std::string NginxIdentifier(const std::string& s) {
  std::string out;
  for (char c : s) out += IsLowerAlnum(c) ? c : '_';
  return out;
}

}  // namespace eppb::render
