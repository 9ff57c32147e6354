#include "common/bridge_answer.h"

namespace eppb {

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

BridgeAnswer BridgeAnswer::Error(int status, std::string reason, std::string detail) {
  BridgeAnswer a;
  a.outcome = Outcome::kError;
  a.status = status;
  a.error_reason = std::move(reason);
  a.body = std::move(detail);
  return a;
}

BridgeAnswer BridgeAnswer::Rejected(int status, std::string reason, std::string detail) {
  BridgeAnswer a = Error(status, std::move(reason), std::move(detail));
  a.outcome = Outcome::kRejected;
  return a;
}

}  // namespace eppb
