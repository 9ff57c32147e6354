// ext_proc replies → HTTP answer: the input is a sequence of EPP replies, each
// a 2-byte big-endian length and that many bytes of a serialised
// envoy.service.ext_proc.v3.ProcessingResponse, preceded by one byte that
// picks the request the replies answer (body, body limit, subset hint,
// endpoint allowlist). Replies are fed
// to the ReplyInterpreter until it decides, as the exchange does; the
// decision (or the exchange's "no decision" error when the replies run out)
// is rendered as the HTTP answer NGINX reads.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/answer_head_size.h"
#include "common/endpoint_policy.h"
#include "common/header_rules.h"
#include "extproc/reply_interpreter.h"
#include "fuzz_checks.h"

using namespace eppb;
using namespace eppb::fuzz;

namespace {

std::shared_ptr<const BridgeRequest> MakeRequest(uint8_t variant) {
  static const std::string kBodies[4] = {
      "",
      R"({"model":"demo","messages":[{"role":"user","content":"hi"}]})",
      "hello world",
      std::string(300, 'x'),
  };
  auto r = std::make_shared<BridgeRequest>();
  std::string error;
  r->target = *EppTarget::ParseHostPort("127.0.0.1:9002", &error);
  r->request_id = "fuzz-1";
  r->body = kBodies[variant & 3];
  r->headers = {{":method", "POST"},
                {":path", "/v1/chat/completions"},
                {":authority", "gw.local"},
                {":scheme", "http"},
                {"content-type", "application/json"},
                {"x-gateway-model-name", "demo"},
                {"x-request-id", r->request_id}};
  if (!r->body.empty()) r->headers.push_back({"content-length", std::to_string(r->body.size())});
  if (variant & 4) r->subset = {"10.0.0.1", "10.0.0.2:8000"};
  return r;
}

// With bit 16: only 10.0.0.0/8 and fd00::/8 may be chosen.
const EndpointPolicy& Policy(uint8_t variant) {
  static const EndpointPolicy open;
  static const EndpointPolicy restricted = [] {
    EndpointPolicy p;
    std::string error;
    p.AddCidr("10.0.0.0/8", &error);
    p.AddCidr("fd00::/8", &error);
    return p;
  }();
  return (variant & 16) ? restricted : open;
}

// The same test by text: canonical IPv6 in fd00::/8 starts with "fdXX:";
// IPv4-mapped IPv6 counts as its IPv4 address.
bool InNetworks(const Endpoint& e) {
  if (!e.ipv6) return e.address.rfind("10.", 0) == 0;
  if (e.address.rfind("::ffff:10.", 0) == 0) return true;
  return e.address.size() > 4 && e.address.rfind("fd", 0) == 0 && e.address[4] == ':';
}

// The subset hint of MakeRequest (10.0.0.1 and 10.0.0.2:8000), by text.
bool InSubset(const Endpoint& e) {
  std::string_view ip = e.address;
  if (e.ipv6 && ip.rfind("::ffff:", 0) == 0) ip.remove_prefix(7);
  return ip == "10.0.0.1" || ip == "10.0.0.2";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t variant = data[0];
  const size_t max_body = (variant & 8) ? 64 : (1u << 20);
  auto request = MakeRequest(variant);
  ReplyInterpreter interpreter(request, max_body, &Policy(variant));
  size_t off = 1;
  bool done = false;
  BridgeAnswer answer;
  while (off + 2 <= size) {
    size_t n = (size_t{data[off]} << 8) | data[off + 1];
    off += 2;
    n = std::min(n, size - off);
    extproc::ProcessingResponse reply;
    bool parsed = reply.ParseFromArray(data + off, static_cast<int>(n));
    off += n;
    if (!parsed) continue;  // gRPC would fail the stream; the interpreter never sees it
    if (done) {
      // Replies after the decision are ignored.
      Require(interpreter.OnReply(reply) == ReplyInterpreter::Step::kDone,
              "reply after the decision reopened the exchange");
      continue;
    }
    if (interpreter.OnReply(reply) == ReplyInterpreter::Step::kDone) {
      answer = interpreter.TakeAnswer();
      done = true;
    }
  }
  if (!done) {
    answer = BridgeAnswer::Fail(Failure::kNoDecision, "EPP closed the stream without a decision");
  }
  switch (answer.outcome) {
    case Outcome::kPicked:
      Require(!answer.endpoints.empty(), "picked without endpoints");
      for (const auto& e : answer.endpoints) {
        CheckEndpointRoundTrip(e);
        if (variant & 16) Require(InNetworks(e), "picked an endpoint outside the allowlist");
        if (!request->subset.empty()) {
          // Membership is by IP only, an IPv4-mapped address being its IPv4
          // one (docs/protocol.md, as llm-d-router reads the hint).
          Require(InSubset(e), "picked an endpoint outside the subset hint", e.ToString());
        }
      }
      Require(answer.body_mutated || answer.body.empty(), "original body carried back");
      Require(answer.body.size() <= max_body, "mutated body over the limit");
      Require(answer.endpoints.size() <= AnswerBounds::kDefaultMaxEndpoints, "too many endpoints");
      Require(answer.headers.size() <= AnswerBounds::kDefaultMaxSetHeaders, "too many headers");
      Require(answer.remove_headers.size() <= AnswerBounds::kDefaultMaxRemovals,
              "too many removals");
      Require(AnswerHeadBytes(answer) <= AnswerBounds::kDefaultMaxHeadBytes, "head too large");
      break;
    case Outcome::kImmediate:
      Require(answer.status >= 200 && answer.status <= 599, "immediate status out of range");
      for (const auto& h : answer.headers) {
        Require(!IsRoutingHeader(h.key), "immediate answer carries a routing header");
      }
      Require(AnswerHeadBytes(answer) <= AnswerBounds::kDefaultMaxHeadBytes, "head too large");
      break;
    case Outcome::kError:
      Require(answer.status == 502, "reply error is not a 502");
      Require(!answer.error_reason.empty(), "error without a reason");
      break;
    case Outcome::kRejected:
      Violation("the reply side rejected a request");
  }
  CheckRendered(RenderAnswer(std::move(answer), 11, true));
  return 0;
}
