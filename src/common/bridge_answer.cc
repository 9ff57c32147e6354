#include "common/bridge_answer.h"

namespace eppb {

BridgeAnswer BridgeAnswer::Fail(Failure failure, std::string detail) {
  const FailureInfo& info = Describe(failure);
  BridgeAnswer a;
  a.outcome = info.outcome;
  a.status = info.status;
  a.failure = failure;
  a.error_reason = info.token;
  a.body = std::move(detail);
  return a;
}

BridgeAnswer BridgeAnswer::Error(int status, std::string reason, std::string detail) {
  auto failure = FindFailure(reason, Outcome::kError, status);
  BridgeAnswer a = Fail(failure.value_or(Failure::kProtocolViolation), std::move(detail));
  a.status = status;
  return a;
}

}  // namespace eppb
