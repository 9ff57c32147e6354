#include "http/request_translator.h"

#include <random>
#include <set>

#include "common/endpoint.h"
#include "common/header_rules.h"

namespace eppb {
namespace {

namespace http = boost::beast::http;

// Returns the single value of a control header; more than one is an error.
bool SingleValue(const RequestTranslator::HttpRequest& req, std::string_view name,
                 std::optional<std::string>* out) {
  auto range = req.equal_range(name);
  int n = 0;
  for (auto it = range.first; it != range.second; ++it) {
    if (++n > 1) return false;
    *out = std::string(it->value());
  }
  return true;
}

std::set<std::string, std::less<>> ConnectionTokens(const RequestTranslator::HttpRequest& req) {
  std::set<std::string, std::less<>> tokens;
  for (auto it = req.find(http::field::connection); it != req.end() && it->name() ==
       http::field::connection; ++it) {
    std::string_view v = it->value();
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      if (comma == std::string_view::npos) comma = v.size();
      std::string_view tok = v.substr(start, comma - start);
      while (!tok.empty() && tok.front() == ' ') tok.remove_prefix(1);
      while (!tok.empty() && tok.back() == ' ') tok.remove_suffix(1);
      if (!tok.empty()) tokens.insert(ToLower(tok));
      start = comma + 1;
    }
  }
  return tokens;
}

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
  std::optional<std::string> host, port, method, path, authority, scheme, subset, request_id;
  if (!SingleValue(req, "x-epp-host", &host) || !SingleValue(req, "x-epp-port", &port) ||
      !SingleValue(req, "x-epp-method", &method) || !SingleValue(req, "x-epp-path", &path) ||
      !SingleValue(req, "x-epp-authority", &authority) ||
      !SingleValue(req, "x-epp-scheme", &scheme) || !SingleValue(req, "x-epp-subset", &subset) ||
      !SingleValue(req, "x-request-id", &request_id)) {
    return BridgeAnswer::Rejected(400, "duplicate-control-header",
                                  "X-EPP-* and X-Request-Id headers may appear only once");
  }
  if (!host || host->empty()) {
    return BridgeAnswer::Rejected(400, "missing-epp-host", "missing X-EPP-Host header");
  }
  if (!port || port->empty()) {
    return BridgeAnswer::Rejected(400, "missing-epp-port", "missing X-EPP-Port header");
  }
  std::string error;
  auto target = EppTarget::Parse(*host, *port, &error);
  if (!target) return BridgeAnswer::Rejected(400, "invalid-epp-target", error);
  if (!Allowed(*target)) {
    return BridgeAnswer::Rejected(403, "epp-not-allowed",
                                  "EPP " + target->Key() + " is not in the allowed list");
  }

  size_t count = std::distance(req.begin(), req.end());
  if (count > limits_.max_headers) {
    return BridgeAnswer::Rejected(431, "too-many-headers", "too many request headers");
  }

  BridgeRequest out;
  out.target = std::move(*target);
  if (subset) {
    std::vector<SubsetToken> tokens;
    if (!ParseSubsetList(*subset, &tokens, &error)) {
      return BridgeAnswer::Rejected(400, "invalid-subset", "X-EPP-Subset: " + error);
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
      return BridgeAnswer::Rejected(400, "invalid-control-header",
                                    "X-EPP-* values may not contain control characters");
    }
  }
  if (scheme && *scheme != "http" && *scheme != "https") {
    return BridgeAnswer::Rejected(400, "invalid-scheme", "X-EPP-Scheme must be http or https");
  }
  if (path && (path->empty() || (path->front() != '/' && *path != "*"))) {
    return BridgeAnswer::Rejected(400, "invalid-path", "X-EPP-Path must start with '/'");
  }

  // Pseudo-headers first, as an HTTP/2 data plane sends them.
  out.headers.push_back({":method", method ? *method : std::string(req.method_string())});
  if (path) out.headers.push_back({":path", *path});
  std::string auth = authority ? *authority : std::string(req[http::field::host]);
  if (!auth.empty()) out.headers.push_back({":authority", auth});
  out.headers.push_back({":scheme", scheme ? *scheme : "http"});

  auto hop = ConnectionTokens(req);
  bool has_length = false;
  for (const auto& f : req) {
    std::string key = ToLower(f.name_string());
    if (IsHopByHop(key) || IsControlHeader(key) || key == "host" || key == "x-request-id" ||
        hop.contains(key)) {
      continue;
    }
    if (key == "content-length") has_length = true;
    out.headers.push_back({std::move(key), std::string(f.value())});
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
