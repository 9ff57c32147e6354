// Turns the HTTP request NGINX sent into a BridgeRequest (see
// docs/protocol.md), or into the rejection the caller gets instead.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>
#include <variant>

#include "common/bridge_answer.h"
#include "common/bridge_request.h"
#include "http/http_limits.h"

namespace eppb {

class RequestTranslator {
 public:
  using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
  using Result = std::variant<BridgeRequest, BridgeAnswer>;  // request, or a rejection

  explicit RequestTranslator(const HttpLimits& limits) : limits_(limits) {}

  // Moves the body out of `req`.
  Result Translate(HttpRequest& req) const;

 private:
  bool Allowed(const EppTarget& t) const;
  const HttpLimits& limits_;
};

// A random 32-hex-digit id for requests that arrive without x-request-id.
std::string NewRequestId();

}  // namespace eppb
