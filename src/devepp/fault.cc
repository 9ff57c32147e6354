#include "devepp/fault.h"

#include <algorithm>
#include <charconv>

namespace eppb {
namespace {

std::optional<int> ToInt(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// A non-negative count, capped; 0 when malformed.
size_t ToCount(std::string_view s, size_t cap) {
  size_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) return cap;
  if (ec != std::errc() || p != s.data() + s.size()) return 0;
  return std::min(v, cap);
}

}  // namespace

Fault Fault::Parse(std::string_view header) {
  Fault f;
  size_t start = 0;
  while (start < header.size()) {
    size_t comma = header.find(',', start);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view item = header.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    std::string_view key = item, value;
    if (auto eq = item.find('='); eq != std::string_view::npos) {
      key = item.substr(0, eq);
      value = item.substr(eq + 1);
    }
    if (key == "status") {
      f.status = ToInt(value);
    } else if (key == "body") {
      f.body_bytes = static_cast<size_t>(std::max(0, ToInt(value).value_or(0)));
    } else if (key == "delay") {
      f.delay_ms = ToInt(value).value_or(0);
    } else if (key == "grpc-error") {
      f.grpc_error = true;
    } else if (key == "garbage-endpoint") {
      f.garbage_endpoint = value.empty() ? std::string("not-an-endpoint") : std::string(value);
    } else if (key == "close-early") {
      f.close_early = true;
    } else if (key == "no-reply") {
      f.no_reply = true;
    } else if (key == "no-metadata") {
      f.no_metadata = true;
    } else if (key == "metadata-only") {
      f.metadata_only = true;
    } else if (key == "mismatch") {
      f.mismatch = true;
    } else if (key == "close-after-pick") {
      f.close_after_pick = true;
    } else if (key == "endpoints") {
      f.endpoints = ToCount(value, kMaxCount);
    } else if (key == "remove") {
      f.remove_repeats = ToCount(value, kMaxCount);
    } else if (key == "set-header-bytes") {
      f.set_header_bytes = ToCount(value, kMaxHeaderBytes);
    } else if (key == "immediate-destination") {
      f.immediate_destination = std::string(value);
    } else if (key == "endless-body") {
      f.endless_body = true;
    } else if (key == "ignore-half-close") {
      f.ignore_half_close = true;
    } else if (key == "decide-on-headers") {
      f.decide_on_headers = true;
    }
    start = comma + 1;
  }
  return f;
}

}  // namespace eppb
