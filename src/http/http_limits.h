// Limits the HTTP side enforces on each request from NGINX.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "common/defaults.h"
#include "common/epp_target.h"

namespace eppb {

struct HttpLimits {
  size_t max_header_bytes = 64 * 1024;            // whole header block → 431 above
  size_t max_headers = 128;                       // header count → 431 above
  size_t max_body_bytes = kDefaultMaxBodyBytes;   // → 413 above
  std::chrono::milliseconds idle_timeout{75000};  // keep-alive connection idle
  std::chrono::milliseconds read_timeout{60000};  // one request, headers and body
  // Allowed EPP targets; empty allows any. An entry with port 0 allows any port.
  std::vector<EppTarget> allowed_epps;
};

}  // namespace eppb
