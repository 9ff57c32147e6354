// Everything `epp-bridge serve` is configured with, parsed once at startup.
#pragma once

#include <string>
#include <vector>

#include "common/answer_bounds.h"
#include "common/defaults.h"
#include "common/epp_body_budget.h"
#include "common/tls_config.h"

namespace eppb {

struct ServeOptions {
  std::string listen = "127.0.0.1:54800";
  bool allow_non_loopback = false;
  TlsConfig tls;
  std::string epp_transport = "h2";  // h2 (nghttp2, the default) or grpc (gRPC C++)
  std::vector<std::string> allowed_epps;
  std::vector<std::string> allowed_endpoint_cidrs;  // empty: any endpoint
  int deadline_ms = static_cast<int>(kDefaultDeadline.count());
  int linger_ms = 5000;
  size_t chunk_bytes = 64 * 1024;
  size_t max_body_bytes = kDefaultMaxBodyBytes;
  size_t max_header_bytes = 64 * 1024;
  size_t max_headers = 128;
  size_t max_inflight = 10000;
  size_t max_epp_targets = 64;
  size_t max_answer_endpoints = AnswerBounds::kDefaultMaxEndpoints;
  size_t max_answer_set_headers = AnswerBounds::kDefaultMaxSetHeaders;
  size_t max_answer_removals = AnswerBounds::kDefaultMaxRemovals;
  size_t max_answer_head_bytes = AnswerBounds::kDefaultMaxHeadBytes;
  size_t max_buffered_body_bytes = EppBodyBudget::kDefaultBytes;
  int epp_health_interval_ms = 5000;            // 0: no health probes
  int epp_health_unhealthy_interval_ms = 1000;  // while NOT_SERVING or unanswered; 0: the same
  std::string epp_health_service = kExtProcService;
  int epp_keepalive_ms = static_cast<int>(kDefaultEppKeepalive.count());
  int epp_keepalive_timeout_ms = static_cast<int>(kDefaultEppKeepaliveTimeout.count());
  int epp_connect_timeout_ms = static_cast<int>(kDefaultEppConnectTimeout.count());
  int idle_timeout_ms = 75000;
  std::string completion_socket;        // empty: streams close right after the pick
  std::string completion_socket_group;  // name or gid; empty: the process's group
  int hold_ttl_ms = 600000;
  size_t max_held_streams = 10000;
  int grace_ms = 25000;
  unsigned threads = 0;  // 0: one per two usable CPUs (net/worker_count.h)
  std::string log_level = "info";
  std::string log_format = "text";
  std::string admin_listen = "127.0.0.1:54801";  // empty: no admin listener
};

}  // namespace eppb
