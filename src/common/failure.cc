#include "common/failure.h"

#include <array>

namespace eppb {

namespace {

using F = Failure;
constexpr Outcome kRej = Outcome::kRejected;
constexpr Outcome kErr = Outcome::kError;

constexpr std::array<FailureInfo, kFailureCount> kTable{{
    {F::kBadHttp, "bad-http", 400, kRej},
    {F::kBadTransferEncoding, "bad-transfer-encoding", 400, kRej},
    {F::kUnsupportedTransferCoding, "unsupported-transfer-coding", 501, kRej},
    {F::kRequestBodyTooLarge, "body-too-large", 413, kRej},
    {F::kHeadersTooLarge, "headers-too-large", 431, kRej},
    {F::kTooManyHeaders, "too-many-headers", 431, kRej},
    {F::kDuplicateControlHeader, "duplicate-control-header", 400, kRej},
    {F::kMissingEppHost, "missing-epp-host", 400, kRej},
    {F::kMissingEppPort, "missing-epp-port", 400, kRej},
    {F::kInvalidEppTarget, "invalid-epp-target", 400, kRej},
    {F::kEppNotAllowed, "epp-not-allowed", 403, kRej},
    {F::kInvalidSubset, "invalid-subset", 400, kRej},
    {F::kInvalidControlHeader, "invalid-control-header", 400, kRej},
    {F::kInvalidScheme, "invalid-scheme", 400, kRej},
    {F::kInvalidPath, "invalid-path", 400, kRej},
    {F::kInvalidCompletionKey, "invalid-completion-key", 400, kRej},
    {F::kCannotContinue, "internal-error", 500, kRej},
    {F::kOverCapacity, "over-capacity", 503, kErr},
    {F::kInternalError, "internal-error", 500, kErr},
    {F::kExchangeFailed, "internal-error", 502, kErr},
    {F::kNoDecision, "no-decision", 502, kErr},
    {F::kEppUnavailable, "epp-unavailable", 503, kErr},
    {F::kDeadlineExceeded, "deadline-exceeded", 504, kErr},
    {F::kGrpcError, "grpc-error", 502, kErr},
    {F::kEppNotServing, "epp-not-serving", 503, kErr},
    {F::kTooManyEppTargets, "too-many-epp-targets", 503, kErr},
    {F::kEppAnswerTooLarge, "epp-answer-too-large", 502, kErr},
    {F::kProtocolViolation, "protocol-violation", 502, kErr},
    {F::kEppBodyBudget, "epp-body-budget", 503, kErr},
    {F::kEppBodyTooLarge, "body-too-large", 502, kErr},
    {F::kNoEndpoint, "no-endpoint", 502, kErr},
    {F::kInvalidEndpoint, "invalid-endpoint", 502, kErr},
    {F::kEndpointMismatch, "endpoint-mismatch", 502, kErr},
    {F::kEndpointNotAllowed, "endpoint-not-allowed", 502, kErr},
    {F::kEndpointOutsideSubset, "endpoint-outside-subset", 502, kErr},
}};

// The table is indexed by the enum: each row sits at its own value.
constexpr bool InOrder() {
  for (size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<size_t>(kTable[i].failure) != i) return false;
  }
  return true;
}
static_assert(InOrder(), "kTable rows must follow the order of enum Failure");

}  // namespace

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPicked:
      return "picked";
    case Outcome::kImmediate:
      return "immediate";
    case Outcome::kError:
      return "error";
    case Outcome::kRejected:
      return "rejected";
  }
  return "error";
}

const FailureInfo& Describe(Failure f) { return kTable[static_cast<size_t>(f)]; }

}  // namespace eppb
