// The knobs of the HTTP/2 EPP transport (--epp-transport h2).
#pragma once

#include <chrono>
#include <cstddef>

#include "common/defaults.h"
#include "extproc/channel_monitor.h"

namespace eppb {

struct H2ClientOptions {
  size_t max_receive_bytes = 8 << 20;  // one gRPC message from the EPP
  size_t max_header_bytes = 16 << 10;  // one response header block or trailers
  size_t max_targets = 64;             // EPP targets with a connection pool
  size_t max_connections = 4;          // per target, when the EPP limits its streams
  // Open, queued and held streams to one target (above --max-inflight plus
  // --max-held-streams): a bound on memory, the rest fail with UNAVAILABLE.
  size_t max_streams_per_target = 1 << 16;
  // A stream the EPP refused before processing it (RST_STREAM REFUSED_STREAM,
  // or above a GOAWAY's last stream id, as an EPP that restarts sends) is
  // sent once more on another connection, as gRPC retries it transparently.
  // Its bytes are kept for that until the EPP answers, up to this many (a
  // bound of --max-inflight times this on the extra memory); a larger
  // request is not retried.
  size_t max_replay_bytes = 128 << 10;
  std::chrono::milliseconds connect_timeout = kDefaultEppConnectTimeout;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::milliseconds keepalive = kDefaultEppKeepalive;  // a PING while streams are open
  // An unanswered PING ends the connection. A stream that ends by deadline
  // or cancel on a connection that has been silent this long sends one at
  // once (a stalled EPP is found by its first timed-out stream).
  std::chrono::milliseconds keepalive_timeout = kDefaultEppKeepaliveTimeout;
  // grpc.health.v1 probes, on each target's connections (as for gRPC).
  HealthProbeOptions health;
};

}  // namespace eppb
