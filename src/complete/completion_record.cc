#include "complete/completion_record.h"

#include <charconv>

#include "common/header_rules.h"

namespace eppb {
namespace {

bool ParseInt(std::string_view s, long long* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<Endpoint> LastUpstream(std::string_view v) {
  // ':' also appears inside "ip:port"; the separators are ", " and " : ".
  size_t sep = std::string_view::npos;
  for (size_t i = v.size(); i-- > 0;) {
    if ((v[i] == ',' || v[i] == ':') && i + 1 < v.size() && v[i + 1] == ' ') {
      sep = i;
      break;
    }
  }
  std::string_view last = sep == std::string_view::npos ? v : v.substr(sep + 2);
  while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
  std::string error;
  auto e = ParseEndpoint(last, &error);
  if (!e) return std::nullopt;
  return e;
}

bool ParseCompletionRecord(std::string_view d, CompletionRecord* out, std::string* error) {
  *out = CompletionRecord{};
  if (d.size() > 4096) {
    *error = "record too long";
    return false;
  }
  size_t at = d.find(kCompletionMarker);
  if (at == std::string_view::npos) {
    *error = "not an epp-completion-v1 record";
    return false;
  }
  std::string_view rest = d.substr(at + std::string_view(kCompletionMarker).size());
  while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r')) rest.remove_suffix(1);
  bool have_status = false;
  while (!rest.empty()) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) break;
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      *error = "expected key=value";
      return false;
    }
    std::string_view key = rest.substr(0, eq);
    rest.remove_prefix(eq + 1);
    std::string_view value;
    if (!rest.empty() && rest.front() == '"') {
      size_t close = rest.find('"', 1);
      if (close == std::string_view::npos) {
        *error = "unterminated quote";
        return false;
      }
      value = rest.substr(1, close - 1);
      rest.remove_prefix(close + 1);
    } else {
      size_t sp = rest.find(' ');
      value = rest.substr(0, sp);
      rest.remove_prefix(sp == std::string_view::npos ? rest.size() : sp);
    }
    if (!IsValidHeaderValue(value)) {
      *error = "control character in " + std::string(key);
      return false;
    }
    long long n = 0;
    if (key == "id") {
      if (value.empty() || value == "-" || value.size() > 256) {
        *error = "bad id";
        return false;
      }
      out->request_id = std::string(value);
    } else if (key == "status") {
      if (!ParseInt(value, &n) || n < 100 || n > 999) {
        *error = "bad status";
        return false;
      }
      out->status = static_cast<int>(n);
      have_status = true;
    } else if (key == "upstream") {
      out->served = LastUpstream(value);
    } else if (key == "bytes") {
      if (ParseInt(value, &n) && n >= 0) out->bytes = n;
    } else if (key == "rt") {
      double t = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), t);
      if (ec == std::errc() && t >= 0) out->request_time = t;
    }  // unknown keys are ignored: newer NGINX configs may log more
  }
  if (out->request_id.empty() || !have_status) {
    *error = "record needs id and status";
    return false;
  }
  return true;
}

}  // namespace eppb
