// An upper bound of the answer head (status line and header block) that
// http/answer_writer.cc renders for a BridgeAnswer, computed without
// rendering it. The reply interpreter checks it against the configured
// bound; the writer checks it against what Beast can hold.
#pragma once

#include <cstddef>

#include "common/bridge_answer.h"

namespace eppb {

// Never less than RenderHead's output for the same answer (any HTTP
// version, keep-alive or not). tests/unit/answer_writer_test.cc holds the two
// together.
size_t AnswerHeadBytes(const BridgeAnswer& answer);

// Beast keeps each header's name and value lengths in 16 bits: a head of at
// most this size renders without a field being too large.
inline constexpr size_t kMaxRenderableHeadBytes = 65535;

}  // namespace eppb
