// What an EPP may put in one answer. An answer over a bound is refused with
// 502 `epp-answer-too-large`, so that NGINX can always read the answer head
// (its `proxy_buffer_size` in /_epp_bridge must hold `max_head_bytes`).
#pragma once

#include <cstddef>

namespace eppb {

struct AnswerBounds {
  static constexpr size_t kDefaultMaxEndpoints = 64;
  static constexpr size_t kDefaultMaxSetHeaders = 64;
  static constexpr size_t kDefaultMaxRemovals = 64;
  static constexpr size_t kDefaultMaxHeadBytes = 32 * 1024;

  // Accepted flag values. A head of at most 64 KiB also keeps every single
  // header within Beast's field limit (65,533 bytes).
  static constexpr size_t kMaxCount = 1024;
  static constexpr size_t kMinHeadBytes = 4 * 1024;
  static constexpr size_t kMaxHeadBytes = 64 * 1024;

  // Endpoints in a decision (the fallback list).
  size_t max_endpoints = kDefaultMaxEndpoints;
  // Distinct headers a decision sets, or an immediate response carries.
  size_t max_set_headers = kDefaultMaxSetHeaders;
  // Distinct request headers a decision removes (duplicates collapse).
  size_t max_removals = kDefaultMaxRemovals;
  // The rendered status line and header block, bytes (AnswerHeadBytes).
  size_t max_head_bytes = kDefaultMaxHeadBytes;
};

}  // namespace eppb
