#include "complete/completion_record.h"

#include <charconv>
#include <set>

#include "common/completion_key.h"
#include "common/header_rules.h"

namespace eppb {
namespace {

constexpr std::string_view kKeyField = "key=";
constexpr std::string_view kOldMarker = "epp-completion-v1 ";

bool ParseInt(std::string_view s, long long* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

// Reads the next `name=value` (value bare, or quoted without inner quotes:
// NGINX escapes '"' in logged variables). False with *error when malformed.
bool NextField(std::string_view* rest, std::string_view* name, std::string_view* value,
               std::string* error) {
  size_t eq = rest->find('=');
  if (eq == std::string_view::npos || eq == 0 ||
      rest->substr(0, eq).find(' ') != std::string_view::npos) {
    *error = "expected key=value";
    return false;
  }
  *name = rest->substr(0, eq);
  rest->remove_prefix(eq + 1);
  if (!rest->empty() && rest->front() == '"') {
    size_t close = rest->find('"', 1);
    if (close == std::string_view::npos) {
      *error = "unterminated quote";
      return false;
    }
    *value = rest->substr(1, close - 1);
    rest->remove_prefix(close + 1);
    if (!rest->empty() && rest->front() != ' ') {
      *error = "text after a quoted value";
      return false;
    }
  } else {
    size_t sp = rest->find(' ');
    *value = rest->substr(0, sp);
    rest->remove_prefix(sp == std::string_view::npos ? rest->size() : sp);
  }
  return true;
}

}  // namespace

std::optional<Endpoint> LastUpstream(std::string_view v) {
  if (v.size() > 1024) return std::nullopt;
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
    *error = d.find(kOldMarker) != std::string_view::npos
                 ? "epp-completion-v1 records are no longer accepted (their id came from the "
                   "client); use log_format epp_completion from epp-http.conf"
                 : "not an epp-completion-v2 record";
    return false;
  }
  std::string_view rest = d.substr(at + kCompletionMarker.size());
  while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r')) rest.remove_suffix(1);
  if (!IsValidHeaderValue(rest)) {
    *error = "control character in record";
    return false;
  }
  // The key first, fixed: "key=" and exactly 32 lower-case hex digits.
  if (!rest.starts_with(kKeyField) ||
      !IsCompletionKey(rest.substr(kKeyField.size(), kCompletionKeyLength)) ||
      (rest.size() > kKeyField.size() + kCompletionKeyLength &&
       rest[kKeyField.size() + kCompletionKeyLength] != ' ')) {
    *error = "record must start with key=<32 lower-case hex digits>";
    return false;
  }
  out->request_id = std::string(rest.substr(kKeyField.size(), kCompletionKeyLength));
  rest.remove_prefix(std::min(rest.size(), kKeyField.size() + kCompletionKeyLength));

  std::set<std::string_view> seen{"key"};
  bool have_status = false;
  while (!rest.empty()) {
    if (rest.front() != ' ') {
      *error = "fields are separated by one space";
      return false;
    }
    rest.remove_prefix(1);
    std::string_view key, value;
    if (!NextField(&rest, &key, &value, error)) return false;
    if (!seen.insert(key).second) {
      *error = "field " + std::string(key) + " appears twice";
      return false;
    }
    long long n = 0;
    if (key == "status") {
      if (value.size() != 3 || !ParseInt(value, &n) || n < 100 || n > 999) {
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
      if (ec == std::errc() && p == value.data() + value.size() && t >= 0) out->request_time = t;
    }  // other fields are ignored: a config may log more
  }
  if (!have_status) {
    *error = "record needs a status";
    return false;
  }
  return true;
}

}  // namespace eppb
