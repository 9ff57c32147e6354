// Immutable settings of one exchange, shared by `serve` and `pick`.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "common/answer_bounds.h"
#include "common/defaults.h"
#include "common/endpoint_policy.h"
#include "common/epp_body_budget.h"

namespace eppb {

struct ExchangeConfig {
  // The whole exchange, from the first message to the decision. The EPP may
  // hold a request in its flow-control queue, so this is seconds, not ms.
  std::chrono::milliseconds deadline = kDefaultDeadline;
  // Request body chunk size; at most kMaxChunkBytes (the EPP's 4 MiB gRPC
  // receive limit minus room for the message envelope).
  size_t chunk_bytes = 64 * 1024;
  size_t max_body_bytes = kDefaultMaxBodyBytes;
  // How long a streamed request body may take to arrive (the HTTP read
  // timeout); the EPP stream's lifetime grows by it.
  std::chrono::milliseconds upload{60000};
  // After the decision, how long the EPP may take to end the stream before
  // it is cancelled.
  std::chrono::milliseconds linger{5000};
  // How long a picked stream may stay held waiting for NGINX's completion
  // record (when a completion socket is configured). Long generations
  // stream for minutes.
  std::chrono::milliseconds hold_ttl{600000};
  // Endpoints a decision may name (CIDR allowlist; subset membership).
  EndpointPolicy endpoints;
  // What one answer may carry (endpoints, header mutations, head size).
  AnswerBounds answer;
  // Shared by every exchange of the process: the EPP body replies buffered
  // at once (null: no process-wide budget).
  std::shared_ptr<EppBodyBudget> body_budget;

  static constexpr size_t kMaxChunkBytes = (4u << 20) - 4096;
  // An EPP's body reply (a rewrite) may be at most
  // max(kEppBodyFactor × the request body, the request body + kEppBodySlackBytes),
  // and never more than max_body_bytes.
  static constexpr size_t kEppBodyFactor = 2;
  static constexpr size_t kEppBodySlackBytes = 1u << 20;
};

}  // namespace eppb
