// The notice NGINX sends when a response has completed: one access-log line
// in the `epp_completion` format (deploy/nginx/epp-http.conf), delivered by
// NGINX's syslog writer as one datagram:
//   <190>Nov 26 21:40:00 nginx: epp-completion-v1 id=ID status=200
//       upstream="10.0.0.1:8000, 10.0.0.2:8000" bytes=1234 rt=0.250
// Every datagram is untrusted input.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/endpoint.h"

namespace eppb {

struct CompletionRecord {
  std::string request_id;
  int status = 0;
  // The endpoint that finally served: the last address of $upstream_addr
  // (after fallback retries and internal redirects); empty when none did.
  std::optional<Endpoint> served;
  long long bytes = -1;
  double request_time = -1;
};

inline constexpr const char* kCompletionMarker = "epp-completion-v1 ";

// Parses one datagram; false with *error for anything malformed.
bool ParseCompletionRecord(std::string_view datagram, CompletionRecord* out, std::string* error);

// The last address of an $upstream_addr value ("a, b : c" → c), if it is ip:port.
std::optional<Endpoint> LastUpstream(std::string_view upstream_addr);

}  // namespace eppb
