// What one exchange with the EPP produced, before it is rendered as HTTP.
#pragma once

#include <string>
#include <vector>

#include "common/bridge_request.h"
#include "common/endpoint.h"
#include "common/failure.h"

namespace eppb {

struct BridgeAnswer {
  Outcome outcome = Outcome::kError;
  int status = 502;
  std::vector<Endpoint> endpoints;          // kPicked: ordered fallback list
  std::vector<HeaderPair> headers;          // kPicked: real mutations; kImmediate: its headers
  std::vector<std::string> remove_headers;  // kPicked: headers the EPP removed
  bool body_mutated = false;                // kPicked: body differs from the request's
  std::string body;                         // mutated body, immediate body or error text
  Failure failure = Failure::kNoDecision;   // kError/kRejected: why (common/failure.h)
  std::string error_reason;                 // kError/kRejected: the failure's token

  // No decision: status, outcome and token from the failure table; `detail`
  // becomes the body.
  static BridgeAnswer Fail(Failure failure, std::string detail);
};

}  // namespace eppb
