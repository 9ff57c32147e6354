// What the development EPP saw on one stream; kept for tests and logs.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/bridge_request.h"

namespace eppb {

struct StreamRecord {
  std::string request_id;
  std::vector<HeaderPair> headers;   // as received (raw_value or value)
  bool headers_in_raw_value = true;  // every header came in raw_value
  bool protocol_config_full_duplex = false;
  bool protocol_config_only_first = true;
  size_t body_bytes = 0;
  size_t body_chunks = 0;
  bool body_end_of_stream = false;
  size_t messages = 0;
  size_t messages_with_subset = 0;
  std::vector<std::string> subset;
  std::string picked;  // the destination value sent, if any
  int immediate_status = 0;
  bool response_headers_seen = false;
  std::string served;  // x-gateway-destination-endpoint-served from the response phase
  int response_status = 0;
};

}  // namespace eppb
