// What one exchange with the EPP produced, before it is rendered as HTTP.
#pragma once

#include <string>
#include <vector>

#include "common/bridge_request.h"
#include "common/endpoint.h"

namespace eppb {

enum class Outcome {
  kPicked,     // the EPP chose endpoints
  kImmediate,  // the EPP answered the request itself (ImmediateResponse)
  kError,      // no decision: EPP unreachable, broken, too slow
  kRejected,   // the request to the bridge was invalid
};

const char* OutcomeName(Outcome o);

struct BridgeAnswer {
  Outcome outcome = Outcome::kError;
  int status = 502;
  std::vector<Endpoint> endpoints;          // kPicked: ordered fallback list
  std::vector<HeaderPair> headers;          // kPicked: real mutations; kImmediate: its headers
  std::vector<std::string> remove_headers;  // kPicked: headers the EPP removed
  bool body_mutated = false;                // kPicked: body differs from the request's
  std::string body;                         // mutated body, immediate body or error text
  std::string error_reason;                 // kError/kRejected: short token

  static BridgeAnswer Error(int status, std::string reason, std::string detail);
  static BridgeAnswer Rejected(int status, std::string reason, std::string detail);
};

}  // namespace eppb
