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

}  // namespace eppb
