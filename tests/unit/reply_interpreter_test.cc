#include "extproc/reply_interpreter.h"

#include <gtest/gtest.h>

namespace eppb {
namespace {

std::shared_ptr<const BridgeRequest> Request(std::string body) {
  auto r = std::make_shared<BridgeRequest>();
  r->headers = {{":method", "POST"},
                {":path", "/v1/completions"},
                {"x-request-id", "r1"},
                {"content-type", "application/json"}};
  r->body = std::move(body);
  return r;
}

void SetHeader(extproc::HeaderMutation* m, const std::string& k, const std::string& v) {
  auto* h = m->add_set_headers()->mutable_header();
  h->set_key(k);
  h->set_raw_value(v);
}

// The headers reply llm-d-router sends: destination, echo, metadata.
extproc::ProcessingResponse HeadersReply(const std::string& endpoint, bool metadata = true) {
  extproc::ProcessingResponse r;
  auto* m = r.mutable_request_headers()->mutable_response()->mutable_header_mutation();
  SetHeader(m, "x-gateway-destination-endpoint", endpoint);
  SetHeader(m, ":path", "/v1/completions");
  SetHeader(m, "x-request-id", "r1");
  SetHeader(m, "content-type", "application/json");
  SetHeader(m, "content-length", "99");
  if (metadata) {
    auto& lb = (*r.mutable_dynamic_metadata()->mutable_fields())["envoy.lb"];
    (*lb.mutable_struct_value()->mutable_fields())["x-gateway-destination-endpoint"]
        .set_string_value(endpoint);
  }
  return r;
}

extproc::ProcessingResponse BodyChunk(const std::string& data, bool eos) {
  extproc::ProcessingResponse r;
  auto* s = r.mutable_request_body()
                ->mutable_response()
                ->mutable_body_mutation()
                ->mutable_streamed_response();
  s->set_body(data);
  s->set_end_of_stream(eos);
  return r;
}

TEST(ReplyInterpreter, EchoedHeadersAndBodyGivePlainPick) {
  ReplyInterpreter in(Request("hello world"), 1 << 20);
  EXPECT_EQ(in.OnReply(HeadersReply("10.0.0.1:8000,10.0.0.2:8000")),
            ReplyInterpreter::Step::kNeedMore);
  EXPECT_EQ(in.OnReply(BodyChunk("hello ", false)), ReplyInterpreter::Step::kNeedMore);
  EXPECT_EQ(in.OnReply(BodyChunk("world", true)), ReplyInterpreter::Step::kDone);
  auto a = in.TakeAnswer();
  EXPECT_EQ(a.outcome, Outcome::kPicked);
  ASSERT_EQ(a.endpoints.size(), 2u);
  EXPECT_EQ(a.endpoints[1].ToString(), "10.0.0.2:8000");
  EXPECT_TRUE(a.headers.empty()) << a.headers[0].key;  // echoes and content-length dropped
  EXPECT_FALSE(a.body_mutated);
  EXPECT_TRUE(a.body.empty());
}

TEST(ReplyInterpreter, RewrittenBodyIsMutated) {
  ReplyInterpreter in(Request(R"({"model":"a"})"), 1 << 20);
  in.OnReply(HeadersReply("10.0.0.1:8000"));
  in.OnReply(BodyChunk(R"({"model":)", false));
  ASSERT_EQ(in.OnReply(BodyChunk(R"("b"})", true)), ReplyInterpreter::Step::kDone);
  auto a = in.TakeAnswer();
  EXPECT_TRUE(a.body_mutated);
  EXPECT_EQ(a.body, R"({"model":"b"})");
}

TEST(ReplyInterpreter, RealHeaderMutationsPassAndUnsafeOnesDrop) {
  ReplyInterpreter in(Request(""), 1 << 20);
  auto r = HeadersReply("10.0.0.1:8000");
  auto* m = r.mutable_request_headers()->mutable_response()->mutable_header_mutation();
  SetHeader(m, "x-gateway-model-name", "llama");
  SetHeader(m, "content-type", "application/x-changed");
  SetHeader(m, "x-evil", "a\r\nInjected: 1");
  SetHeader(m, "x-epp-outcome", "immediate");
  SetHeader(m, ":authority", "elsewhere");
  m->add_remove_headers("content-type");
  m->add_remove_headers("not-present");
  ASSERT_EQ(in.OnReply(r), ReplyInterpreter::Step::kDone);  // no body: done after headers
  EXPECT_EQ(in.dropped_mutations(), 1);
  auto a = in.TakeAnswer();
  ASSERT_EQ(a.outcome, Outcome::kPicked);
  ASSERT_EQ(a.headers.size(), 2u);
  EXPECT_EQ(a.headers[0].key, "x-gateway-model-name");
  EXPECT_EQ(a.headers[1].value, "application/x-changed");
  ASSERT_EQ(a.remove_headers.size(), 1u);
  EXPECT_EQ(a.remove_headers[0], "content-type");
}

TEST(ReplyInterpreter, HeaderAndMetadataMustAgree) {
  ReplyInterpreter in(Request(""), 1 << 20);
  auto r = HeadersReply("10.0.0.1:8000");
  auto& lb = (*r.mutable_dynamic_metadata()->mutable_fields())["envoy.lb"];
  (*lb.mutable_struct_value()->mutable_fields())["x-gateway-destination-endpoint"].set_string_value(
      "10.0.0.9:8000");
  in.OnReply(r);
  auto a = in.TakeAnswer();
  EXPECT_EQ(a.outcome, Outcome::kError);
  EXPECT_EQ(a.status, 502);
  EXPECT_EQ(a.error_reason, "endpoint-mismatch");
}

TEST(ReplyInterpreter, MetadataAloneIsEnough) {
  ReplyInterpreter in(Request(""), 1 << 20);
  extproc::ProcessingResponse r;
  r.mutable_request_headers();
  auto& lb = (*r.mutable_dynamic_metadata()->mutable_fields())["envoy.lb"];
  (*lb.mutable_struct_value()->mutable_fields())["x-gateway-destination-endpoint"].set_string_value(
      "[fd00::5]:9000");
  in.OnReply(r);
  auto a = in.TakeAnswer();
  ASSERT_EQ(a.outcome, Outcome::kPicked);
  EXPECT_EQ(a.endpoints[0].ToString(), "[fd00::5]:9000");
}

TEST(ReplyInterpreter, HostileEndpointsAreEppFailures) {
  for (const char* bad : {"10.0.0.1:8000\r\nx: y", "model-server.local:8000", "10.0.0.1:0",
                          "10.0.0.1:70000", "10.0.0.1", "10.0.0.1:8000,,", "fd00::1:80"}) {
    ReplyInterpreter in(Request(""), 1 << 20);
    in.OnReply(HeadersReply(bad, false));
    auto a = in.TakeAnswer();
    EXPECT_EQ(a.outcome, Outcome::kError) << bad;
    EXPECT_EQ(a.error_reason, "invalid-endpoint") << bad;
    EXPECT_EQ(a.status, 502);
  }
}

TEST(ReplyInterpreter, NoEndpointIsAFailure) {
  ReplyInterpreter in(Request(""), 1 << 20);
  extproc::ProcessingResponse r;
  r.mutable_request_headers();
  in.OnReply(r);
  EXPECT_EQ(in.TakeAnswer().error_reason, "no-endpoint");
}

TEST(ReplyInterpreter, ImmediateResponsePassesStatusHeadersBody) {
  ReplyInterpreter in(Request("x"), 1 << 20);
  extproc::ProcessingResponse r;
  auto* imm = r.mutable_immediate_response();
  imm->mutable_status()->set_code(429);
  imm->set_body("inference error: shed");
  SetHeader(imm->mutable_headers(), "retry-after", "1");
  SetHeader(imm->mutable_headers(), "content-length", "5");
  ASSERT_EQ(in.OnReply(r), ReplyInterpreter::Step::kDone);
  auto a = in.TakeAnswer();
  EXPECT_EQ(a.outcome, Outcome::kImmediate);
  EXPECT_EQ(a.status, 429);
  EXPECT_EQ(a.body, "inference error: shed");
  ASSERT_EQ(a.headers.size(), 1u);
  EXPECT_EQ(a.headers[0].key, "retry-after");
}

TEST(ReplyInterpreter, ImmediateResponseWithInvalidStatusIsAViolation) {
  ReplyInterpreter in(Request(""), 1 << 20);
  extproc::ProcessingResponse r;
  r.mutable_immediate_response()->mutable_status()->set_code(1000);
  in.OnReply(r);
  EXPECT_EQ(in.TakeAnswer().error_reason, "protocol-violation");
}

TEST(ReplyInterpreter, OutOfOrderRepliesAreViolations) {
  ReplyInterpreter body_first(Request("x"), 1 << 20);
  body_first.OnReply(BodyChunk("x", true));
  EXPECT_EQ(body_first.TakeAnswer().error_reason, "protocol-violation");

  ReplyInterpreter response_phase(Request("x"), 1 << 20);
  extproc::ProcessingResponse r;
  r.mutable_response_headers();
  response_phase.OnReply(r);
  EXPECT_EQ(response_phase.TakeAnswer().error_reason, "protocol-violation");

  ReplyInterpreter twice(Request("x"), 1 << 20);
  twice.OnReply(HeadersReply("10.0.0.1:1"));
  twice.OnReply(HeadersReply("10.0.0.1:1"));
  EXPECT_EQ(twice.TakeAnswer().error_reason, "protocol-violation");

  ReplyInterpreter empty(Request("x"), 1 << 20);
  empty.OnReply(extproc::ProcessingResponse());
  EXPECT_EQ(empty.TakeAnswer().error_reason, "protocol-violation");
}

TEST(ReplyInterpreter, StreamedBodyOverTheLimitFails) {
  ReplyInterpreter in(Request("x"), 8);
  in.OnReply(HeadersReply("10.0.0.1:1"));
  in.OnReply(BodyChunk("0123456", false));
  EXPECT_EQ(in.OnReply(BodyChunk("789", false)), ReplyInterpreter::Step::kDone);
  EXPECT_EQ(in.TakeAnswer().error_reason, "body-too-large");
}

TEST(ReplyInterpreter, ContinueWithoutMutationKeepsTheBody) {
  ReplyInterpreter in(Request("payload"), 1 << 20);
  in.OnReply(HeadersReply("10.0.0.1:1"));
  extproc::ProcessingResponse r;
  r.mutable_request_body()->mutable_response();
  ASSERT_EQ(in.OnReply(r), ReplyInterpreter::Step::kDone);
  auto a = in.TakeAnswer();
  EXPECT_EQ(a.outcome, Outcome::kPicked);
  EXPECT_FALSE(a.body_mutated);
}

TEST(ReplyInterpreter, TruncatedEchoIsAMutation) {
  ReplyInterpreter in(Request("abcdef"), 1 << 20);
  in.OnReply(HeadersReply("10.0.0.1:1"));
  in.OnReply(BodyChunk("abc", true));
  auto a = in.TakeAnswer();
  EXPECT_TRUE(a.body_mutated);
  EXPECT_EQ(a.body, "abc");
}

}  // namespace
}  // namespace eppb

namespace eppb {
namespace {

TEST(ReplyInterpreter, DecisionOutsideTheSubsetHintIsAnError) {
  auto r = std::make_shared<BridgeRequest>(*Request("x"));
  r->subset = {"10.0.0.1:8000", "10.0.0.2:8000"};
  EndpointPolicy policy;
  ReplyInterpreter in(r, 1 << 20, &policy);
  in.OnReply(HeadersReply("10.0.0.3:8000"));
  ASSERT_EQ(in.OnReply(BodyChunk("x", true)), ReplyInterpreter::Step::kDone);
  auto a = in.TakeAnswer();
  EXPECT_EQ(a.outcome, Outcome::kError);
  EXPECT_EQ(a.status, 502);
  EXPECT_EQ(a.error_reason, "endpoint-outside-subset");
}

TEST(ReplyInterpreter, DecisionOutsideTheCidrAllowlistIsAnError) {
  EndpointPolicy policy;
  std::string error;
  ASSERT_TRUE(policy.AddCidr("10.0.0.0/8", &error));
  ReplyInterpreter ok(Request("x"), 1 << 20, &policy);
  ok.OnReply(HeadersReply("10.0.0.3:8000"));
  ASSERT_EQ(ok.OnReply(BodyChunk("x", true)), ReplyInterpreter::Step::kDone);
  EXPECT_EQ(ok.TakeAnswer().outcome, Outcome::kPicked);

  ReplyInterpreter bad(Request("x"), 1 << 20, &policy);
  bad.OnReply(HeadersReply("10.0.0.3:8000,169.254.169.254:80"));
  ASSERT_EQ(bad.OnReply(BodyChunk("x", true)), ReplyInterpreter::Step::kDone);
  auto a = bad.TakeAnswer();
  EXPECT_EQ(a.outcome, Outcome::kError);
  EXPECT_EQ(a.error_reason, "endpoint-not-allowed");
}

}  // namespace
}  // namespace eppb
