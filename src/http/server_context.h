// What every HTTP session shares: configuration, the EPP client and the
// process-wide counters used for draining.
#pragma once

#include <atomic>

#include "common/exchange_config.h"
#include "complete/held_streams.h"
#include "extproc/ext_proc_stream.h"
#include "http/http_limits.h"
#include "http/request_translator.h"
#include "observe/metrics.h"

namespace eppb {

struct ServerContext {
  HttpLimits limits;
  ExchangeConfig exchange;
  size_t max_inflight = 10000;  // concurrent exchanges; 503 above
  ExtProcClient* client = nullptr;
  HeldStreams* holds = nullptr;        // null: no response phase
  Metrics* metrics = &Metrics::Get();  // what sessions and their exchanges count in
  std::atomic<size_t> inflight{0};     // exchanges in progress
  std::atomic<bool> draining{false};   // SIGTERM received: answer, then close
};

}  // namespace eppb
