// HTTP header classification shared by the request and reply paths: which
// headers are hop-by-hop, which names and values are safe to emit.
#pragma once

#include <string>
#include <string_view>

namespace eppb {

// True for headers that describe one connection and must not travel further.
bool IsHopByHop(std::string_view lower_name);
// True for the bridge's own control headers ("x-epp-*").
bool IsControlHeader(std::string_view lower_name);
// True for headers that steer routing where NGINX reads the answer: the
// control headers and "x-gateway-destination-endpoint*" (NGF's epp.js routes
// on a 200 carrying the destination header).
bool IsRoutingHeader(std::string_view lower_name);
// RFC 9110 token characters only, 1..256 bytes.
bool IsValidHeaderName(std::string_view name);
// No CR, LF, NUL or other control bytes except HTAB; at most 16 KiB.
bool IsValidHeaderValue(std::string_view value);
std::string ToLower(std::string_view s);
// The same into `*out`, which keeps its room (for a buffer reused per call).
void AssignLower(std::string_view s, std::string* out);

}  // namespace eppb
