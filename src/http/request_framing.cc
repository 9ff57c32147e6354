#include "http/request_framing.h"

#include <boost/beast/core/string.hpp>
#include <string>
#include <vector>

namespace eppb {

namespace http = boost::beast::http;

namespace {

// The comma-separated codings of every Transfer-Encoding field, in order,
// with optional whitespace trimmed; empty list members are kept as "".
std::vector<std::string_view> Codings(const http::request_header<>& req) {
  std::vector<std::string_view> out;
  auto [it, end] = req.equal_range(http::field::transfer_encoding);
  for (; it != end; ++it) {
    std::string_view v = it->value();
    while (true) {
      size_t comma = v.find(',');
      std::string_view item = v.substr(0, comma);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      out.push_back(item);
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  return out;
}

}  // namespace

std::optional<BridgeAnswer> CheckFraming(const http::request_header<>& req) {
  if (req.find(http::field::transfer_encoding) == req.end()) return std::nullopt;
  if (req.version() < 11) {
    return BridgeAnswer::Fail(Failure::kBadTransferEncoding,
                              "Transfer-Encoding in an HTTP/1.0 request");
  }
  auto codings = Codings(req);
  if (codings.empty() || !boost::beast::iequals(codings.back(), "chunked")) {
    return BridgeAnswer::Fail(Failure::kBadTransferEncoding,
                              "Transfer-Encoding whose final coding is not chunked");
  }
  if (codings.size() > 1) {
    return BridgeAnswer::Fail(Failure::kUnsupportedTransferCoding,
                              "only the chunked transfer coding is implemented");
  }
  return std::nullopt;
}

bool ExpectsContinue(const http::request_header<>& req) {
  auto it = req.find(http::field::expect);
  return req.version() >= 11 && it != req.end() &&
         boost::beast::iequals(it->value(), "100-continue");
}

}  // namespace eppb
