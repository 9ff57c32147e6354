#include "http/request_translator.h"

#include <algorithm>
#include <random>
#include <vector>

#include "common/completion_key.h"
#include "common/endpoint.h"
#include "common/header_rules.h"
#include "observe/logging.h"

namespace eppb {
namespace {

namespace http = boost::beast::http;

// Adds the comma-separated tokens of one Connection header, lower-cased.
void AddConnectionTokens(std::string_view v, std::vector<std::string>* tokens) {
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string_view::npos) comma = v.size();
    std::string_view tok = v.substr(start, comma - start);
    while (!tok.empty() && tok.front() == ' ') tok.remove_prefix(1);
    while (!tok.empty() && tok.back() == ' ') tok.remove_suffix(1);
    if (!tok.empty()) tokens->push_back(ToLower(tok));
    start = comma + 1;
  }
}

// The single-valued headers the bridge reads (X-EPP-*, X-Request-Id).
struct ControlHeaders {
  std::optional<std::string> host, port, method, path, authority, scheme, subset, completion_key,
      request_id;
  bool duplicate = false;  // one of them appeared more than once

  void Take(std::optional<std::string>* slot, std::string_view value) {
    if (*slot) {
      duplicate = true;
    } else {
      slot->emplace(value);
    }
  }
  // `lower` is a control header ("x-epp-*"); unknown ones are dropped.
  void Read(std::string_view lower, std::string_view value) {
    std::string_view n = lower.substr(6);
    if (n == "host") {
      Take(&host, value);
    } else if (n == "port") {
      Take(&port, value);
    } else if (n == "method") {
      Take(&method, value);
    } else if (n == "path") {
      Take(&path, value);
    } else if (n == "authority") {
      Take(&authority, value);
    } else if (n == "scheme") {
      Take(&scheme, value);
    } else if (n == "subset") {
      Take(&subset, value);
    } else if (n == "completion-key") {
      Take(&completion_key, value);
    }
  }
};

}  // namespace

std::string NewRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  uint64_t a = rng(), b = rng();
  for (int i = 0; i < 16; ++i) {
    id[i] = kHex[(a >> (i * 4)) & 0xf];
    id[16 + i] = kHex[(b >> (i * 4)) & 0xf];
  }
  return id;
}

bool RequestTranslator::Allowed(const EppTarget& t) const {
  if (limits_.allowed_epps.empty()) return true;
  for (const auto& a : limits_.allowed_epps) {
    if (a.host == t.host && (a.port == 0 || a.port == t.port)) return true;
  }
  return false;
}

RequestTranslator::Result RequestTranslator::Translate(HttpRequest& req) const {
  // One pass over the fields: the control headers, the Connection tokens and
  // the headers to forward (those the tokens name are dropped afterwards).
  ControlHeaders c;
  std::optional<std::string_view> host_header;
  std::vector<std::string> hop;
  // The thread's list from its last request, emptied: its room is reused
  // (bounded by the header limits), and the pairs are moved out below.
  thread_local std::vector<HeaderPair> forward;
  forward.clear();
  size_t count = 0;
  thread_local std::string key;  // reused; copied only for a header that is forwarded
  for (const auto& f : req) {
    ++count;
    AssignLower(f.name_string(), &key);
    std::string_view value = f.value();
    if (IsControlHeader(key)) {
      c.Read(key, value);
    } else if (key == "x-request-id") {
      c.Take(&c.request_id, value);
    } else if (key == "host") {
      if (!host_header) host_header = value;
    } else if (key == "connection") {
      AddConnectionTokens(value, &hop);
    } else if (!IsHopByHop(key)) {
      forward.push_back({key, std::string(value)});
    }
  }
  if (c.duplicate) {
    return BridgeAnswer::Fail(Failure::kDuplicateControlHeader,
                              "X-EPP-* and X-Request-Id headers may appear only once");
  }
  const auto& [host, port, method, path, authority, scheme, subset, completion_key, request_id,
               dup] = c;
  if (!host || host->empty()) {
    return BridgeAnswer::Fail(Failure::kMissingEppHost, "missing X-EPP-Host header");
  }
  if (!port || port->empty()) {
    return BridgeAnswer::Fail(Failure::kMissingEppPort, "missing X-EPP-Port header");
  }
  std::string error;
  auto target = EppTarget::Parse(*host, *port, &error);
  if (!target) return BridgeAnswer::Fail(Failure::kInvalidEppTarget, error);
  if (!Allowed(*target)) {
    return BridgeAnswer::Fail(Failure::kEppNotAllowed,
                              "EPP " + target->Key() + " is not in the allowed list");
  }
  if (count > limits_.max_headers) {
    return BridgeAnswer::Fail(Failure::kTooManyHeaders, "too many request headers");
  }

  BridgeRequest out;
  out.target = std::move(*target);
  if (subset) {
    std::vector<SubsetToken> tokens;
    if (!ParseSubsetList(*subset, &tokens, &error)) {
      return BridgeAnswer::Fail(Failure::kInvalidSubset, "X-EPP-Subset: " + error);
    }
    std::string_view s = *subset;
    size_t start = 0;
    while (start <= s.size()) {  // send the entries as the caller wrote them, trimmed
      size_t comma = s.find(',', start);
      if (comma == std::string_view::npos) comma = s.size();
      std::string_view item = s.substr(start, comma - start);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      out.subset.emplace_back(item);
      start = comma + 1;
    }
  }
  for (const auto* v : {&method, &path, &authority, &scheme}) {
    if (*v && !IsValidHeaderValue(**v)) {
      return BridgeAnswer::Fail(Failure::kInvalidControlHeader,
                                "X-EPP-* values may not contain control characters");
    }
  }
  if (scheme && *scheme != "http" && *scheme != "https") {
    return BridgeAnswer::Fail(Failure::kInvalidScheme, "X-EPP-Scheme must be http or https");
  }
  if (path && (path->empty() || (path->front() != '/' && *path != "*"))) {
    return BridgeAnswer::Fail(Failure::kInvalidPath, "X-EPP-Path must start with '/'");
  }
  if (completion_key) {
    if (!IsCompletionKey(*completion_key)) {
      // Only NGINX sets it (from $request_id); anything else is a wiring error or forged.
      LogEventLimited(
          spdlog::level::warn, "invalid-completion-key",
          {{"epp", out.target.Key()}, {"length", std::to_string(completion_key->size())}});
      return BridgeAnswer::Fail(
          Failure::kInvalidCompletionKey,
          "X-EPP-Completion-Key must be NGINX's $request_id (32 lower-case hex digits)");
    }
    out.completion_key = *completion_key;
  }

  if (!hop.empty()) {
    std::erase_if(forward, [&](const HeaderPair& h) {
      return std::find(hop.begin(), hop.end(), h.key) != hop.end();
    });
  }
  // Pseudo-headers first, as an HTTP/2 data plane sends them.
  out.headers.reserve(forward.size() + 6);
  out.headers.push_back({":method", method ? *method : std::string(req.method_string())});
  if (path) out.headers.push_back({":path", *path});
  std::string auth = authority ? *authority : std::string(host_header.value_or(""));
  if (!auth.empty()) out.headers.push_back({":authority", std::move(auth)});
  out.headers.push_back({":scheme", scheme ? *scheme : "http"});
  bool has_length = false;
  for (auto& h : forward) {
    if (h.key == "content-length") has_length = true;
    out.headers.push_back(std::move(h));
  }
  out.request_id = request_id && !request_id->empty() && IsValidHeaderValue(*request_id)
                       ? *request_id
                       : NewRequestId();
  out.headers.push_back({"x-request-id", out.request_id});
  out.body = std::move(req.body());
  if (!has_length && !out.body.empty()) {
    out.headers.push_back({"content-length", std::to_string(out.body.size())});
  }
  return out;
}

}  // namespace eppb
