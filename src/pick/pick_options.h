// Options of `epp-bridge pick`, the one-shot and load-generating ext_proc client.
#pragma once

#include <string>
#include <vector>

#include "common/defaults.h"
#include "common/tls_config.h"

namespace eppb {

struct PickOptions {
  std::string epp;  // host:port
  TlsConfig tls;
  std::string epp_transport = "h2";  // h2 (nghttp2, the default) or grpc (gRPC C++)
  std::string method = "POST";
  std::string path = "/v1/chat/completions";
  std::string authority = "localhost";
  std::string scheme = "http";
  std::vector<std::string> headers;  // "name: value"
  std::string body;
  std::string body_file;
  std::string subset;
  std::string request_id;
  size_t chunk_bytes = 64 * 1024;
  int deadline_ms = static_cast<int>(kDefaultDeadline.count());
  size_t requests = 1;
  size_t concurrency = 1;
  double rate = 0;  // load mode: requests started per second (0: closed loop)
  unsigned threads = 0;
  std::string log_level = "warn";
};

}  // namespace eppb
