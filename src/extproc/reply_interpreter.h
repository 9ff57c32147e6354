// Reads the EPP's replies for one request and turns them into a decision.
//
// The EPP (llm-d-router and compatible pickers) answers a FULL_DUPLEX_STREAMED
// request phase with one request_headers reply, carrying the destination
// header mutation and an echo of the request headers, followed by the body
// streamed back in chunks until end_of_stream. It may instead answer with an
// ImmediateResponse at any point. Anything else is a protocol violation.
//
// What the EPP may put in an answer is bounded (ExchangeConfig::answer): more
// endpoints, header mutations or removals, or a larger answer head, is a 502
// `epp-answer-too-large`. A rewritten body may be at most
// max(2 × the request body, the request body + 1 MiB), capped by
// max_body_bytes (502 `body-too-large` above), and is reserved from the
// process-wide EppBodyBudget as it grows (503 `epp-body-budget` when that is
// exhausted); the reservation is returned when the interpreter dies.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/body_reservation.h"
#include "common/bridge_answer.h"
#include "common/bridge_request.h"
#include "common/endpoint_policy.h"
#include "common/exchange_config.h"
#include "envoy/service/ext_proc/v3/external_processor.pb.h"

namespace eppb {

namespace extproc = envoy::service::ext_proc::v3;

class ReplyInterpreter {
 public:
  enum class Step { kNeedMore, kDone };

  // `config` must outlive the interpreter: its endpoint policy (CIDR
  // allowlist; the request's subset hint applies too), answer bounds, body
  // limit and the process-wide body budget.
  ReplyInterpreter(std::shared_ptr<const BridgeRequest> request, const ExchangeConfig& config);
  // Default answer bounds and no process-wide budget. `policy` (optional,
  // must outlive the interpreter) restricts the endpoints a decision may name.
  ReplyInterpreter(std::shared_ptr<const BridgeRequest> request, size_t max_body_bytes,
                   const EndpointPolicy* policy = nullptr);
  ReplyInterpreter(const ReplyInterpreter&) = delete;
  ReplyInterpreter& operator=(const ReplyInterpreter&) = delete;

  // Feeds one reply. kDone means TakeAnswer() holds the final result (a
  // decision, an immediate response or a protocol failure).
  Step OnReply(const extproc::ProcessingResponse& reply);
  BridgeAnswer TakeAnswer() { return std::move(answer_); }
  // Header mutations that were dropped as unsafe or unusable.
  int dropped_mutations() const { return dropped_mutations_; }

 private:
  enum class State {
    kAwaitHeaders,  // nothing decisive yet; the request_headers reply must come first
    kAwaitBody,     // headers reply seen; collecting the streamed body until end_of_stream
    kDone,          // answer_ is final; later replies are ignored
  };

  enum class Growth { kOk, kTooLarge, kOverBudget };

  ReplyInterpreter(std::shared_ptr<const BridgeRequest> request, size_t max_body_bytes,
                   const EndpointPolicy* policy, const AnswerBounds& bounds,
                   std::shared_ptr<EppBodyBudget> budget);
  Step Fail(Failure failure, std::string detail);
  Step TooLarge(std::string detail) { return Fail(Failure::kEppAnswerTooLarge, std::move(detail)); }
  // The answer is final: checks its head against the bound first.
  Step Done(BridgeAnswer answer);
  Step OnHeaders(const extproc::CommonResponse& common);
  Step OnBody(const extproc::CommonResponse& common);
  Step OnImmediate(const extproc::ImmediateResponse& imm);
  void ReadMetadata(const extproc::ProcessingResponse& reply);
  Growth AppendBody(std::string_view data);
  // Makes room for a rewritten body of `size` bytes: within body_limit_ and
  // reserved from the budget before it is allocated.
  Growth ReserveBody(size_t size);
  Step FailBody(Growth g);
  Step Finish();
  // The request's last value of `key`, or nullptr.
  const std::string* RequestHeader(std::string_view key) const;

  std::shared_ptr<const BridgeRequest> request_;
  size_t max_body_bytes_;  // largest body of any kind
  size_t body_limit_;      // largest rewritten body for this request
  const EndpointPolicy* policy_;
  AnswerBounds bounds_;
  State state_ = State::kAwaitHeaders;

  std::string header_endpoint_;    // from the destination header mutation
  std::string metadata_endpoint_;  // from dynamic_metadata envoy.lb
  std::vector<HeaderPair> set_headers_;
  std::vector<std::string> removed_;
  int dropped_mutations_ = 0;

  // Body replies are compared with the original on the fly; a copy is made
  // only once they diverge (a rewrite), so an echoed body costs no memory.
  size_t echoed_ = 0;
  bool diverged_ = false;
  std::shared_ptr<EppBodyBudget> budget_;  // before reservation_, which returns into it
  BodyReservation reservation_;            // covers new_body_'s capacity
  std::string new_body_;

  BridgeAnswer answer_;
};

}  // namespace eppb
