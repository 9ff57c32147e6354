// Reads the EPP's replies for one request and turns them into a decision.
//
// The EPP (llm-d-router and compatible pickers) answers a FULL_DUPLEX_STREAMED
// request phase with one request_headers reply, carrying the destination
// header mutation and an echo of the request headers, followed by the body
// streamed back in chunks until end_of_stream. It may instead answer with an
// ImmediateResponse at any point. Anything else is a protocol violation.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "bridge/bridge_answer.h"
#include "bridge/bridge_request.h"
#include "common/endpoint_policy.h"
#include "envoy/service/ext_proc/v3/external_processor.pb.h"

namespace eppb {

namespace extproc = envoy::service::ext_proc::v3;

class ReplyInterpreter {
 public:
  enum class Step { kNeedMore, kDone };

  // `policy` (optional, must outlive the interpreter) restricts the endpoints
  // a decision may name: its CIDR allowlist and the request's subset hint.
  ReplyInterpreter(std::shared_ptr<const BridgeRequest> request, size_t max_body_bytes,
                   const EndpointPolicy* policy = nullptr);

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

  Step Fail(std::string reason, std::string detail);
  Step OnHeaders(const extproc::CommonResponse& common);
  Step OnBody(const extproc::CommonResponse& common);
  Step OnImmediate(const extproc::ImmediateResponse& imm);
  void ReadMetadata(const extproc::ProcessingResponse& reply);
  bool AppendBody(std::string_view data);
  Step Finish();
  // The request's last value of `key`, or nullptr.
  const std::string* RequestHeader(std::string_view key) const;

  std::shared_ptr<const BridgeRequest> request_;
  size_t max_body_bytes_;
  const EndpointPolicy* policy_;
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
  std::string new_body_;

  BridgeAnswer answer_;
};

}  // namespace eppb
