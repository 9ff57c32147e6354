// The notice NGINX sends when a response has completed: one access-log line
// in the `epp_completion` format (deploy/nginx/epp-http.conf), delivered by
// NGINX's syslog writer as one datagram:
//   <190>Nov 26 21:40:00 epp: epp-completion-v2 key=0123456789abcdef0123456789abcdef
//       status=200 upstream="10.0.0.1:8000, 10.0.0.2:8000" bytes=1234 rt=0.250
// The key is NGINX's $request_id and comes first, in a fixed format; every
// other field is one NGINX generates, each at most once. Every datagram is
// untrusted input.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/endpoint.h"

namespace eppb {

struct CompletionRecord {
  // The completion key: NGINX's $request_id, 32 lower-case hex digits (the
  // X-EPP-Completion-Key the stream was held under).
  std::string request_id;
  int status = 0;
  // The endpoint that finally served: the last address of $upstream_addr
  // (after fallback retries and internal redirects); empty when none did.
  std::optional<Endpoint> served;
  long long bytes = -1;
  double request_time = -1;
};

inline constexpr std::string_view kCompletionMarker = "epp-completion-v2 ";

// Parses one datagram; false with *error for anything malformed.
bool ParseCompletionRecord(std::string_view datagram, CompletionRecord* out, std::string* error);

// The last address of an $upstream_addr value ("a, b : c" → c), if it is ip:port.
std::optional<Endpoint> LastUpstream(std::string_view upstream_addr);

}  // namespace eppb
