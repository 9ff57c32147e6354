// Every reason an answer can carry instead of a decision, in one table: the
// token (the X-EPP-Error header and the metrics label), the HTTP status and
// the outcome. docs/protocol.md lists the same tokens for callers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace eppb {

enum class Outcome {
  kPicked,     // the EPP chose endpoints
  kImmediate,  // the EPP answered the request itself (ImmediateResponse)
  kError,      // no decision: EPP unreachable, broken, too slow
  kRejected,   // the request to the bridge was invalid
};
inline constexpr size_t kOutcomeCount = 4;

const char* OutcomeName(Outcome o);

enum class Failure : uint8_t {
  // The request to the bridge (kRejected).
  kBadHttp,
  kBadTransferEncoding,
  kUnsupportedTransferCoding,
  kRequestBodyTooLarge,
  kHeadersTooLarge,
  kTooManyHeaders,
  kDuplicateControlHeader,
  kMissingEppHost,
  kMissingEppPort,
  kInvalidEppTarget,
  kEppNotAllowed,
  kInvalidSubset,
  kInvalidControlHeader,
  kInvalidScheme,
  kInvalidPath,
  kInvalidCompletionKey,
  kCannotContinue,  // the 100 Continue could not be sent
  // No decision (kError).
  kOverCapacity,
  kInternalError,   // an exception on the session's side
  kExchangeFailed,  // an exception on the exchange's side
  kNoDecision,
  kEppUnavailable,
  kDeadlineExceeded,
  kGrpcError,
  kEppNotServing,
  kTooManyEppTargets,
  kEppAnswerTooLarge,
  kProtocolViolation,
  kEppBodyBudget,
  kEppBodyTooLarge,
  kNoEndpoint,
  kInvalidEndpoint,
  kEndpointMismatch,
  kEndpointNotAllowed,
  kEndpointOutsideSubset,
};
inline constexpr size_t kFailureCount = static_cast<size_t>(Failure::kEndpointOutsideSubset) + 1;

struct FailureInfo {
  Failure failure;
  const char* token;
  int status;
  Outcome outcome;
};

const FailureInfo& Describe(Failure f);

}  // namespace eppb
