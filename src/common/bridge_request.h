// One inference request as the bridge forwards it to the EPP: already
// validated and normalised by the HTTP side (or built by `pick`).
#pragma once

#include <string>
#include <vector>

#include "common/endpoint.h"
#include "common/epp_target.h"

namespace eppb {

struct HeaderPair {
  std::string key;  // lower-cased; pseudo-headers start with ':'
  std::string value;
  bool operator==(const HeaderPair&) const = default;
};

struct BridgeRequest {
  EppTarget target;
  std::string request_id;  // also present in headers as x-request-id
  // NGINX's $request_id from X-EPP-Completion-Key (common/completion_key.h):
  // the held stream's key. Empty: the stream is not held (closed after the pick).
  std::string completion_key;
  std::vector<HeaderPair> headers;  // pseudo-headers first, in HTTP/2 order
  std::string body;
  // The body is still arriving (the HTTP side streams it, Content-Length
  // known): the exchange sends the headers first and the body as it comes
  // (Exchange::BodyArrived, EndBody). `body` is empty until then.
  bool body_follows = false;
  std::vector<std::string> subset;  // subset hint entries, sent verbatim
};

}  // namespace eppb
