#include "extproc/reply_interpreter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "scripted_stream.h"

namespace eppb {
namespace {

using testing::BodyEcho;

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

TEST(ReplyInterpreter, EchoedHeadersAndBodyGivePlainPick) {
  ReplyInterpreter in(Request("hello world"), 1 << 20);
  EXPECT_EQ(in.OnReply(HeadersReply("10.0.0.1:8000,10.0.0.2:8000")),
            ReplyInterpreter::Step::kNeedMore);
  EXPECT_EQ(in.OnReply(BodyEcho("hello ", false)), ReplyInterpreter::Step::kNeedMore);
  EXPECT_EQ(in.OnReply(BodyEcho("world", true)), ReplyInterpreter::Step::kDone);
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
  in.OnReply(BodyEcho(R"({"model":)", false));
  ASSERT_EQ(in.OnReply(BodyEcho(R"("b"})", true)), ReplyInterpreter::Step::kDone);
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
  body_first.OnReply(BodyEcho("x", true));
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
  in.OnReply(BodyEcho("0123456", false));
  EXPECT_EQ(in.OnReply(BodyEcho("789", false)), ReplyInterpreter::Step::kDone);
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
  in.OnReply(BodyEcho("abc", true));
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
  ASSERT_EQ(in.OnReply(BodyEcho("x", true)), ReplyInterpreter::Step::kDone);
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
  ASSERT_EQ(ok.OnReply(BodyEcho("x", true)), ReplyInterpreter::Step::kDone);
  EXPECT_EQ(ok.TakeAnswer().outcome, Outcome::kPicked);

  ReplyInterpreter bad(Request("x"), 1 << 20, &policy);
  bad.OnReply(HeadersReply("10.0.0.3:8000,169.254.169.254:80"));
  ASSERT_EQ(bad.OnReply(BodyEcho("x", true)), ReplyInterpreter::Step::kDone);
  auto a = bad.TakeAnswer();
  EXPECT_EQ(a.outcome, Outcome::kError);
  EXPECT_EQ(a.error_reason, "endpoint-not-allowed");
}

}  // namespace
}  // namespace eppb

// What an EPP may put in one answer (ExchangeConfig::answer) and the body it
// may send back (relative to the request; process-wide budget).
namespace eppb {
namespace {

std::string EndpointList(size_t n) {
  std::string list;
  for (size_t i = 0; i < n; ++i) {
    if (!list.empty()) list += ',';
    list += "10.0.0.1:" + std::to_string(10000 + i);
  }
  return list;
}

BridgeAnswer Decide(ReplyInterpreter& in, const extproc::ProcessingResponse& headers) {
  EXPECT_EQ(in.OnReply(headers), ReplyInterpreter::Step::kDone);
  return in.TakeAnswer();
}

void ExpectTooLarge(const BridgeAnswer& a) {
  EXPECT_EQ(a.outcome, Outcome::kError);
  EXPECT_EQ(a.status, 502);
  EXPECT_EQ(a.error_reason, "epp-answer-too-large") << a.body;
}

TEST(ReplyInterpreterBounds, TooManyEndpointsIsTooLarge) {
  ExchangeConfig config;
  ReplyInterpreter many(Request(""), config);
  ExpectTooLarge(Decide(many, HeadersReply(EndpointList(5000))));

  ReplyInterpreter at_bound(Request(""), config);
  auto a = Decide(at_bound, HeadersReply(EndpointList(AnswerBounds::kDefaultMaxEndpoints)));
  EXPECT_EQ(a.outcome, Outcome::kPicked);
  EXPECT_EQ(a.endpoints.size(), AnswerBounds::kDefaultMaxEndpoints);

  config.answer.max_endpoints = 2;
  ReplyInterpreter metadata_only(Request(""), config);
  ExpectTooLarge(Decide(metadata_only, HeadersReply(EndpointList(3))));
}

TEST(ReplyInterpreterBounds, RemovalsAreDedupedThenBounded) {
  ExchangeConfig config;
  ReplyInterpreter in(Request(""), config);
  auto r = HeadersReply("10.0.0.1:8000");
  auto* m = r.mutable_request_headers()->mutable_response()->mutable_header_mutation();
  for (int i = 0; i < 6000; ++i) m->add_remove_headers(i % 2 ? "content-type" : "Content-Type");
  auto a = Decide(in, r);
  EXPECT_EQ(a.outcome, Outcome::kPicked);
  EXPECT_EQ(a.remove_headers, std::vector<std::string>{"content-type"});

  auto request = std::make_shared<BridgeRequest>(*Request(""));
  for (int i = 0; i < 3; ++i) request->headers.push_back({"x-h" + std::to_string(i), "v"});
  config.answer.max_removals = 2;
  ReplyInterpreter over(request, config);
  auto r2 = HeadersReply("10.0.0.1:8000");
  auto* m2 = r2.mutable_request_headers()->mutable_response()->mutable_header_mutation();
  for (int i = 0; i < 3; ++i) m2->add_remove_headers("x-h" + std::to_string(i));
  ExpectTooLarge(Decide(over, r2));
}

TEST(ReplyInterpreterBounds, TooManySetHeadersIsTooLarge) {
  ExchangeConfig config;
  auto reply = [](int distinct, int repeats) {
    auto r = HeadersReply("10.0.0.1:8000");
    auto* m = r.mutable_request_headers()->mutable_response()->mutable_header_mutation();
    for (int i = 0; i < distinct; ++i) {
      for (int j = 0; j < repeats; ++j) SetHeader(m, "x-set-" + std::to_string(i), "v");
    }
    return r;
  };
  ReplyInterpreter at_bound(Request(""), config);
  auto a = Decide(at_bound, reply(AnswerBounds::kDefaultMaxSetHeaders, 50));
  EXPECT_EQ(a.outcome, Outcome::kPicked);  // repeats of one header count once
  EXPECT_EQ(a.headers.size(), AnswerBounds::kDefaultMaxSetHeaders);
  ReplyInterpreter over(Request(""), config);
  ExpectTooLarge(Decide(over, reply(AnswerBounds::kDefaultMaxSetHeaders + 1, 1)));
}

TEST(ReplyInterpreterBounds, AnswerHeadOverTheBoundIsTooLarge) {
  ExchangeConfig config;
  auto reply = [](int headers, size_t bytes) {
    auto r = HeadersReply("10.0.0.1:8000");
    auto* m = r.mutable_request_headers()->mutable_response()->mutable_header_mutation();
    for (int i = 0; i < headers; ++i)
      SetHeader(m, "x-big-" + std::to_string(i), std::string(bytes, 'v'));
    return r;
  };
  ReplyInterpreter one(Request(""), config);  // 16 KB: within the 32 KiB default
  EXPECT_EQ(Decide(one, reply(1, 16000)).outcome, Outcome::kPicked);
  ReplyInterpreter three(Request(""), config);  // 48 KB
  ExpectTooLarge(Decide(three, reply(3, 16000)));

  config.answer.max_head_bytes = 4096;  // NGINX's default proxy_buffer_size
  ReplyInterpreter small(Request(""), config);
  ExpectTooLarge(Decide(small, reply(1, 5000)));
}

TEST(ReplyInterpreterBounds, ImmediateResponseNeverCarriesRoutingHeaders) {
  ExchangeConfig config;
  ReplyInterpreter in(Request(""), config);
  extproc::ProcessingResponse r;
  auto* imm = r.mutable_immediate_response();
  imm->mutable_status()->set_code(200);
  imm->set_body("ok");
  for (const char* key : {"x-gateway-destination-endpoint", "X-Gateway-Destination-Endpoint",
                          "x-gateway-destination-endpoint-served", "x-epp-endpoints",
                          "X-EPP-Outcome", "x-epp-set-x-a"}) {
    SetHeader(imm->mutable_headers(), key, "10.0.0.1:8000");
  }
  SetHeader(imm->mutable_headers(), "content-type", "text/plain");
  ASSERT_EQ(in.OnReply(r), ReplyInterpreter::Step::kDone);
  auto a = in.TakeAnswer();
  EXPECT_EQ(a.outcome, Outcome::kImmediate);
  EXPECT_EQ(a.status, 200);
  ASSERT_EQ(a.headers.size(), 1u);
  EXPECT_EQ(a.headers[0].key, "content-type");
  EXPECT_EQ(in.dropped_mutations(), 6);
}

TEST(ReplyInterpreterBounds, ImmediateResponseIsBoundedToo) {
  ExchangeConfig config;
  auto immediate = [](int headers, size_t bytes) {
    extproc::ProcessingResponse r;
    auto* imm = r.mutable_immediate_response();
    imm->mutable_status()->set_code(429);
    for (int i = 0; i < headers; ++i) {
      SetHeader(imm->mutable_headers(), "x-h-" + std::to_string(i), std::string(bytes, 'v'));
    }
    return r;
  };
  ReplyInterpreter many(Request(""), config);
  ExpectTooLarge(Decide(many, immediate(AnswerBounds::kDefaultMaxSetHeaders + 1, 1)));
  ReplyInterpreter big(Request(""), config);
  ExpectTooLarge(Decide(big, immediate(3, 16000)));
  ReplyInterpreter fine(Request(""), config);
  EXPECT_EQ(Decide(fine, immediate(2, 16000)).outcome, Outcome::kImmediate);
}

// At most max(2 × the request body, the request body + 1 MiB), capped by max_body_bytes.
TEST(ReplyInterpreterBounds, BodyReplyIsBoundedRelativeToTheRequest) {
  ExchangeConfig config;  // max_body_bytes 64 MiB
  auto stream = [](ReplyInterpreter& in, size_t bytes) {
    in.OnReply(HeadersReply("10.0.0.1:8000"));
    const std::string chunk(64 * 1024, 'z');
    for (size_t sent = 0; sent < bytes; sent += chunk.size()) {
      size_t n = std::min(chunk.size(), bytes - sent);
      if (in.OnReply(BodyEcho(chunk.substr(0, n), sent + n == bytes)) ==
          ReplyInterpreter::Step::kDone) {
        break;
      }
    }
    return in.TakeAnswer();
  };
  const size_t slack = ExchangeConfig::kEppBodySlackBytes;
  ReplyInterpreter small_ok(Request("tiny"), config);
  auto a = stream(small_ok, 4 + slack);
  EXPECT_EQ(a.outcome, Outcome::kPicked);
  EXPECT_EQ(a.body.size(), 4 + slack);
  ReplyInterpreter small_over(Request("tiny"), config);
  EXPECT_EQ(stream(small_over, 4 + slack + 1).error_reason, "body-too-large");

  const std::string two_mib(2u << 20, 'q');  // 2 × 2 MiB beats 2 MiB + 1 MiB
  ReplyInterpreter large_ok(Request(two_mib), config);
  EXPECT_EQ(stream(large_ok, 4u << 20).outcome, Outcome::kPicked);
  ReplyInterpreter large_over(Request(two_mib), config);
  auto over = stream(large_over, (4u << 20) + 1);
  EXPECT_EQ(over.status, 502);
  EXPECT_EQ(over.error_reason, "body-too-large");

  config.max_body_bytes = 100;  // the cap wins
  ReplyInterpreter capped(Request("tiny"), config);
  EXPECT_EQ(stream(capped, 101).error_reason, "body-too-large");
}

TEST(ReplyInterpreterBounds, BodyBudgetIsSharedAndReturned) {
  ExchangeConfig config;
  config.body_budget = std::make_shared<EppBodyBudget>(1000);
  const std::string body(600, 'o');
  const std::string rewrite(600, 'n');
  {
    ReplyInterpreter first(Request(body), config);
    first.OnReply(HeadersReply("10.0.0.1:8000"));
    ASSERT_EQ(first.OnReply(BodyEcho(rewrite, true)), ReplyInterpreter::Step::kDone);
    auto a = first.TakeAnswer();
    EXPECT_EQ(a.outcome, Outcome::kPicked);
    EXPECT_EQ(a.body, rewrite);
    EXPECT_GE(config.body_budget->used(), 600u);

    // While the first holds its share, a second rewrite does not fit.
    ReplyInterpreter second(Request(body), config);
    second.OnReply(HeadersReply("10.0.0.1:8000"));
    ASSERT_EQ(second.OnReply(BodyEcho(rewrite, true)), ReplyInterpreter::Step::kDone);
    auto b = second.TakeAnswer();
    EXPECT_EQ(b.outcome, Outcome::kError);
    EXPECT_EQ(b.status, 503);
    EXPECT_EQ(b.error_reason, "epp-body-budget");

    // An echoed body costs nothing.
    ReplyInterpreter echo(Request(body), config);
    echo.OnReply(HeadersReply("10.0.0.1:8000"));
    ASSERT_EQ(echo.OnReply(BodyEcho(body, true)), ReplyInterpreter::Step::kDone);
    EXPECT_EQ(echo.TakeAnswer().outcome, Outcome::kPicked);
  }
  EXPECT_EQ(config.body_budget->used(), 0u);  // every reservation returned
  ReplyInterpreter third(Request(body), config);
  third.OnReply(HeadersReply("10.0.0.1:8000"));
  ASSERT_EQ(third.OnReply(BodyEcho(rewrite, true)), ReplyInterpreter::Step::kDone);
  EXPECT_EQ(third.TakeAnswer().outcome, Outcome::kPicked);
}

TEST(EppBodyBudget, ReservesAtomicallyUpToTheLimit) {
  EppBodyBudget budget(20000);
  std::atomic<size_t> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        if (budget.TryReserve(1)) granted.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 20000u);
  EXPECT_EQ(budget.used(), 20000u);
  EXPECT_FALSE(budget.TryReserve(1));
  budget.Release(20000);
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_FALSE(budget.TryReserve(20001));
  EXPECT_TRUE(budget.TryReserve(20000));
}

TEST(BodyReservation, GrowsAndReturnsEverythingWhenItDies) {
  EppBodyBudget budget(100);
  {
    BodyReservation r(&budget);
    EXPECT_TRUE(r.GrowTo(40));
    EXPECT_TRUE(r.GrowTo(30));  // already held
    EXPECT_EQ(budget.used(), 40u);
    EXPECT_FALSE(r.GrowTo(101));
    EXPECT_EQ(r.held(), 40u);  // unchanged after a refusal
    EXPECT_TRUE(r.GrowTo(100));
    EXPECT_EQ(budget.used(), 100u);
  }
  EXPECT_EQ(budget.used(), 0u);
  BodyReservation unbudgeted(nullptr);
  EXPECT_TRUE(unbudgeted.GrowTo(size_t{1} << 40));
}

}  // namespace
}  // namespace eppb
