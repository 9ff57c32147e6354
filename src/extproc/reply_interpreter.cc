#include "extproc/reply_interpreter.h"

#include <algorithm>

#include "common/answer_head_size.h"
#include "common/header_rules.h"
#include "extproc/metadata_keys.h"

namespace eppb {
namespace {

const std::string& ValueOf(const envoy::config::core::v3::HeaderValue& h) {
  return h.raw_value().empty() ? h.value() : h.raw_value();
}

// Headers the EPP may not change through the bridge.
bool IsProtected(std::string_view key) {
  return key.empty() || key.front() == ':' || key == "host" || key == "content-length" ||
         IsHopByHop(key) || IsControlHeader(key);
}

// The largest body an EPP may send back for a request body of `request` bytes.
size_t BodyLimit(size_t request, size_t max_body_bytes) {
  size_t grown = std::max(request * ExchangeConfig::kEppBodyFactor,
                          request + ExchangeConfig::kEppBodySlackBytes);
  return std::min(grown, max_body_bytes);
}

// Entries of a comma-separated list, counted without parsing it.
size_t ListItems(std::string_view list) { return std::ranges::count(list, ',') + 1; }

}  // namespace

ReplyInterpreter::ReplyInterpreter(std::shared_ptr<const BridgeRequest> request,
                                   const ExchangeConfig& config)
    : ReplyInterpreter(std::move(request), config.max_body_bytes, &config.endpoints, config.answer,
                       config.body_budget) {}

ReplyInterpreter::ReplyInterpreter(std::shared_ptr<const BridgeRequest> request,
                                   size_t max_body_bytes, const EndpointPolicy* policy)
    : ReplyInterpreter(std::move(request), max_body_bytes, policy, AnswerBounds{}, nullptr) {}

ReplyInterpreter::ReplyInterpreter(std::shared_ptr<const BridgeRequest> request,
                                   size_t max_body_bytes, const EndpointPolicy* policy,
                                   const AnswerBounds& bounds,
                                   std::shared_ptr<EppBodyBudget> budget)
    : request_(std::move(request)),
      max_body_bytes_(max_body_bytes),
      body_limit_(BodyLimit(request_->body.size(), max_body_bytes)),
      policy_(policy),
      bounds_(bounds),
      budget_(std::move(budget)),
      reservation_(budget_.get()) {}

// A dozen headers: a scan beats building a map per request. Last value wins.
const std::string* ReplyInterpreter::RequestHeader(std::string_view key) const {
  const auto& headers = request_->headers;
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (it->key == key) return &it->value;
  }
  return nullptr;
}

ReplyInterpreter::Step ReplyInterpreter::Fail(Failure failure, std::string detail) {
  answer_ = BridgeAnswer::Fail(failure, std::move(detail));
  state_ = State::kDone;
  return Step::kDone;
}

ReplyInterpreter::Step ReplyInterpreter::Done(BridgeAnswer answer) {
  size_t head = AnswerHeadBytes(answer);
  if (head > bounds_.max_head_bytes) {
    return TooLarge("EPP answer head would be " + std::to_string(head) + " bytes, over " +
                    std::to_string(bounds_.max_head_bytes));
  }
  answer_ = std::move(answer);
  state_ = State::kDone;
  return Step::kDone;
}

ReplyInterpreter::Step ReplyInterpreter::OnReply(const extproc::ProcessingResponse& reply) {
  if (state_ == State::kDone) return Step::kDone;
  ReadMetadata(reply);
  switch (reply.response_case()) {
    case extproc::ProcessingResponse::kImmediateResponse:
      return OnImmediate(reply.immediate_response());
    case extproc::ProcessingResponse::kRequestHeaders:
      if (state_ != State::kAwaitHeaders) {
        return Fail(Failure::kProtocolViolation, "EPP sent a second request_headers reply");
      }
      return OnHeaders(reply.request_headers().response());
    case extproc::ProcessingResponse::kRequestBody:
      if (state_ != State::kAwaitBody) {
        return Fail(Failure::kProtocolViolation, "EPP sent a body reply before the headers reply");
      }
      return OnBody(reply.request_body().response());
    case extproc::ProcessingResponse::RESPONSE_NOT_SET:
      return Fail(Failure::kProtocolViolation, "EPP sent an empty reply");
    default:
      return Fail(Failure::kProtocolViolation, "EPP sent a reply for another phase");
  }
}

void ReplyInterpreter::ReadMetadata(const extproc::ProcessingResponse& reply) {
  if (!reply.has_dynamic_metadata()) return;
  const auto& ns = reply.dynamic_metadata().fields();
  auto lb = ns.find(kLbNamespace);
  if (lb == ns.end() || !lb->second.has_struct_value()) return;
  const auto& fields = lb->second.struct_value().fields();
  auto it = fields.find(kDestinationKey);
  if (it != fields.end() && it->second.has_string_value()) {
    metadata_endpoint_ = it->second.string_value();
  }
}

ReplyInterpreter::Step ReplyInterpreter::OnHeaders(const extproc::CommonResponse& common) {
  const auto& mutation = common.header_mutation();
  // The thread's, reused: an EPP echoes every request header, and a key is
  // copied only when it is kept.
  thread_local std::string key;
  for (const auto& opt : mutation.set_headers()) {
    AssignLower(opt.header().key(), &key);
    const std::string& value = ValueOf(opt.header());  // copied only if kept
    if (key == kDestinationHeader) {
      header_endpoint_ = value;
      continue;
    }
    if (IsProtected(key)) continue;
    // An echo is what the request carried, as it was: no mutation.
    if (const std::string* req = RequestHeader(key); req && *req == value) continue;
    if (!IsValidHeaderName(key) || !IsValidHeaderValue(value)) {
      ++dropped_mutations_;
      continue;
    }
    std::erase_if(set_headers_, [&](const HeaderPair& h) { return h.key == key; });
    if (set_headers_.size() >= bounds_.max_set_headers) {
      return TooLarge("EPP sets more than " + std::to_string(bounds_.max_set_headers) + " headers");
    }
    set_headers_.push_back({key, value});
  }
  for (const auto& name : mutation.remove_headers()) {
    std::string key = ToLower(name);
    if (IsProtected(key) || !RequestHeader(key)) continue;
    if (std::ranges::find(removed_, key) != removed_.end()) continue;  // said twice
    if (removed_.size() >= bounds_.max_removals) {
      return TooLarge("EPP removes more than " + std::to_string(bounds_.max_removals) + " headers");
    }
    removed_.push_back(std::move(key));
  }
  if (common.status() == extproc::CommonResponse::CONTINUE_AND_REPLACE &&
      common.has_body_mutation() && !common.body_mutation().has_streamed_response()) {
    const std::string& body = common.body_mutation().body();
    if (Growth g = ReserveBody(body.size()); g != Growth::kOk) return FailBody(g);
    diverged_ = true;
    new_body_.assign(body);
    return Finish();
  }
  if (request_->body.empty()) return Finish();
  state_ = State::kAwaitBody;
  return Step::kNeedMore;
}

ReplyInterpreter::Step ReplyInterpreter::OnBody(const extproc::CommonResponse& common) {
  const auto& bm = common.body_mutation();
  if (bm.mutation_case() == extproc::BodyMutation::MUTATION_NOT_SET) {
    // CONTINUE without a mutation: the body passes unchanged.
    if (!diverged_ && echoed_ == 0) echoed_ = request_->body.size();
    return Finish();
  }
  switch (bm.mutation_case()) {
    case extproc::BodyMutation::kStreamedResponse:
      if (Growth g = AppendBody(bm.streamed_response().body()); g != Growth::kOk) {
        return FailBody(g);
      }
      return bm.streamed_response().end_of_stream() ? Finish() : Step::kNeedMore;
    case extproc::BodyMutation::kBody:
      diverged_ = true;
      new_body_.clear();
      if (Growth g = AppendBody(bm.body()); g != Growth::kOk) return FailBody(g);
      return Finish();
    case extproc::BodyMutation::kClearBody:
      diverged_ = true;
      new_body_.clear();
      return Finish();
    default:
      return Fail(Failure::kProtocolViolation, "EPP sent an unknown body mutation");
  }
}

ReplyInterpreter::Growth ReplyInterpreter::AppendBody(std::string_view data) {
  const std::string& original = request_->body;
  if (!diverged_) {
    if (echoed_ + data.size() <= original.size() &&
        original.compare(echoed_, data.size(), data) == 0) {
      echoed_ += data.size();
      return Growth::kOk;
    }
    if (Growth g = ReserveBody(echoed_ + data.size()); g != Growth::kOk) return g;
    diverged_ = true;
    new_body_.assign(original, 0, echoed_);
  }
  if (Growth g = ReserveBody(new_body_.size() + data.size()); g != Growth::kOk) return g;
  new_body_.append(data);
  return Growth::kOk;
}

ReplyInterpreter::Growth ReplyInterpreter::ReserveBody(size_t size) {
  if (size > body_limit_) return Growth::kTooLarge;
  if (size <= new_body_.capacity()) return Growth::kOk;
  // Grow geometrically, as the string would, but never past the limit; when
  // the budget cannot give that much, try for exactly what is needed.
  size_t want = std::min(std::max(size, new_body_.capacity() * 2), body_limit_);
  if (!reservation_.GrowTo(want)) {
    want = size;
    if (!reservation_.GrowTo(want)) return Growth::kOverBudget;
  }
  new_body_.reserve(want);
  return Growth::kOk;
}

ReplyInterpreter::Step ReplyInterpreter::FailBody(Growth g) {
  if (g == Growth::kOverBudget) {
    return Fail(Failure::kEppBodyBudget,
                "the bridge is buffering as many EPP body bytes as it may (" +
                    std::to_string(budget_ ? budget_->limit() : 0) + ")");
  }
  return Fail(Failure::kEppBodyTooLarge, "EPP body reply over " + std::to_string(body_limit_) +
                                             " bytes for a request body of " +
                                             std::to_string(request_->body.size()));
}

ReplyInterpreter::Step ReplyInterpreter::OnImmediate(const extproc::ImmediateResponse& imm) {
  int code = imm.status().code();
  if (code < 200 || code > 599) {
    return Fail(Failure::kProtocolViolation,
                "EPP immediate response has invalid status " + std::to_string(code));
  }
  if (imm.body().size() > max_body_bytes_) {  // an answer, not a rewrite: the absolute cap
    return Fail(Failure::kEppBodyTooLarge,
                "EPP immediate response body over " + std::to_string(max_body_bytes_) + " bytes");
  }
  BridgeAnswer a;
  a.outcome = Outcome::kImmediate;
  a.status = code;
  for (const auto& opt : imm.headers().set_headers()) {
    std::string key = ToLower(opt.header().key());
    const std::string& value = ValueOf(opt.header());
    // Never a destination or a control header: NGINX (NGF's epp.js too)
    // would route on them without the endpoint checks of a decision.
    if (IsRoutingHeader(key)) {
      ++dropped_mutations_;
      continue;
    }
    if (IsProtected(key) || !IsValidHeaderName(key) || !IsValidHeaderValue(value)) {
      if (!IsProtected(key)) ++dropped_mutations_;
      continue;
    }
    if (a.headers.size() >= bounds_.max_set_headers) {
      return TooLarge("EPP immediate response carries more than " +
                      std::to_string(bounds_.max_set_headers) + " headers");
    }
    a.headers.push_back({std::move(key), value});
  }
  a.body = imm.body();
  return Done(std::move(a));
}

ReplyInterpreter::Step ReplyInterpreter::Finish() {
  if (header_endpoint_.empty() && metadata_endpoint_.empty()) {
    return Fail(Failure::kNoEndpoint, "EPP decision carries no destination endpoint");
  }
  for (const std::string* list : {&header_endpoint_, &metadata_endpoint_}) {
    if (!list->empty() && ListItems(*list) > bounds_.max_endpoints) {
      return TooLarge("EPP decision lists " + std::to_string(ListItems(*list)) +
                      " endpoints, more than " + std::to_string(bounds_.max_endpoints));
    }
  }
  std::vector<Endpoint> from_header, from_metadata;
  std::string err;
  if (!header_endpoint_.empty() && !ParseEndpointList(header_endpoint_, &from_header, &err)) {
    return Fail(Failure::kInvalidEndpoint, "EPP destination header is invalid: " + err);
  }
  // The usual reply gives the same text twice: it is parsed once.
  bool same = metadata_endpoint_ == header_endpoint_;
  if (!same && !metadata_endpoint_.empty() &&
      !ParseEndpointList(metadata_endpoint_, &from_metadata, &err)) {
    return Fail(Failure::kInvalidEndpoint, "EPP destination metadata is invalid: " + err);
  }
  if (!from_header.empty() && !from_metadata.empty() && from_header != from_metadata) {
    return Fail(Failure::kEndpointMismatch, "EPP destination header and metadata disagree");
  }
  BridgeAnswer a;
  a.outcome = Outcome::kPicked;
  a.status = 200;
  a.endpoints = from_header.empty() ? std::move(from_metadata) : std::move(from_header);
  if (policy_ != nullptr) {
    std::string detail;
    if (auto refused = policy_->Check(a.endpoints, request_->subset, &detail)) {
      return Fail(*refused, std::move(detail));
    }
  }
  a.headers = std::move(set_headers_);
  a.remove_headers = std::move(removed_);
  if (diverged_ || echoed_ != request_->body.size()) {
    a.body_mutated = true;
    a.body = diverged_ ? std::move(new_body_) : request_->body.substr(0, echoed_);
  }
  return Done(std::move(a));
}

}  // namespace eppb
