// The bridge against the real development EPP, over every success path.
#include <thread>

#include "stack.h"

namespace eppb::testing {
namespace {

using testing_support::HttpClient;

class BridgeDevEpp : public ::testing::Test {
 protected:
  void SetUp() override {
    epp_ = StartEpp(epp_options_);
    bridge_ = StartBridge(bridge_options_);
    ASSERT_TRUE(epp_ && bridge_);
    client_ = std::make_unique<HttpClient>(bridge_->port());
  }
  std::optional<StreamRecord> Record(const std::string& id) {
    for (int i = 0; i < 200; ++i) {  // the stream ends just after the answer
      if (auto r = epp_->service().recorder().Find(id)) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }
  static std::string Find(const StreamRecord& r, const std::string& key) {
    for (const auto& h : r.headers) {
      if (h.key == key) return h.value;
    }
    return "<absent>";
  }

  DevEppOptions epp_options_;
  ServeOptions bridge_options_ = Plaintext();
  std::unique_ptr<DevEppServer> epp_;
  std::unique_ptr<BridgeServer> bridge_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(BridgeDevEpp, NgfStyleRequestGetsAnEndpointFromThePool) {
  auto r =
      client_->Send("POST", "/", EppHeaders(epp_->port(), {{"X-Request-Id", "ngf-1"}}), kChatBody);
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_EQ(r.Header("X-EPP-Outcome"), "picked");
  std::string ep = r.Header("X-Gateway-Destination-Endpoint");
  EXPECT_TRUE(ep == "127.0.0.1:8001" || ep == "127.0.0.1:8002" || ep == "127.0.0.1:8003") << ep;
  EXPECT_EQ(r.Header("X-EPP-Endpoints"), ep);
  EXPECT_EQ(r.Header("X-EPP-Body"), "original");
  EXPECT_TRUE(r.body.empty());

  auto rec = Record("ngf-1");
  ASSERT_TRUE(rec);
  EXPECT_TRUE(rec->protocol_config_full_duplex);
  EXPECT_TRUE(rec->protocol_config_only_first);
  EXPECT_TRUE(rec->headers_in_raw_value);
  EXPECT_EQ(Find(*rec, ":method"), "POST");
  EXPECT_EQ(Find(*rec, ":authority"), "127.0.0.1");
  EXPECT_EQ(Find(*rec, ":scheme"), "http");
  EXPECT_EQ(Find(*rec, ":path"), "<absent>");
  EXPECT_EQ(Find(*rec, "x-epp-host"), "<absent>");
  EXPECT_EQ(Find(*rec, "content-type"), "application/json");
  EXPECT_EQ(rec->body_bytes, std::string(kChatBody).size());
  EXPECT_TRUE(rec->body_end_of_stream);
  EXPECT_EQ(rec->picked, ep);
}

TEST_F(BridgeDevEpp, OriginalRequestReachesTheEppAsPseudoHeaders) {
  auto r = client_->Send("POST", "/_epp",
                         EppHeaders(epp_->port(), {{"X-EPP-Method", "POST"},
                                                   {"X-EPP-Path", "/v1/chat/completions?a=b"},
                                                   {"X-EPP-Authority", "api.example"},
                                                   {"X-Request-Id", "pseudo-1"}}),
                         kChatBody);
  ASSERT_EQ(r.status, 200) << r.body;
  auto rec = Record("pseudo-1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(Find(*rec, ":path"), "/v1/chat/completions?a=b");
  EXPECT_EQ(Find(*rec, ":authority"), "api.example");
  EXPECT_EQ(rec->headers[0].key, ":method");
}

TEST_F(BridgeDevEpp, TraceContextIsForwardedToTheEpp) {
  const std::string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto r = client_->Send(
      "POST", "/",
      EppHeaders(epp_->port(),
                 {{"traceparent", tp}, {"tracestate", "vendor=abc"}, {"X-Request-Id", "trace-1"}}),
      kChatBody);
  ASSERT_EQ(r.status, 200);
  auto rec = Record("trace-1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(Find(*rec, "traceparent"), tp);
  EXPECT_EQ(Find(*rec, "tracestate"), "vendor=abc");
}

TEST_F(BridgeDevEpp, SixMebibyteBodyArrivesIntactInChunks) {
  std::string body(6u << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  auto r = client_->Send("POST", "/", EppHeaders(epp_->port(), {{"X-Request-Id", "big-1"}}), body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("X-EPP-Body"), "original");  // echoed back unchanged, not mutated
  auto rec = Record("big-1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->body_bytes, body.size());
  EXPECT_EQ(rec->body_chunks, body.size() / (64 * 1024));
  EXPECT_TRUE(rec->body_end_of_stream);
}

TEST_F(BridgeDevEpp, BodylessRequestEndsWithTheHeaders) {
  auto r = client_->Send("GET", "/", EppHeaders(epp_->port(), {{"X-Request-Id", "get-1"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  auto rec = Record("get-1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->messages, 1u);
  EXPECT_EQ(rec->body_chunks, 0u);
}

TEST_F(BridgeDevEpp, TestSelectionHeaderGivesTheOrderedFallbackList) {
  auto r = client_->Send(
      "POST", "/",
      EppHeaders(epp_->port(), {{"test-epp-endpoint-selection", "127.0.0.1:8003,127.0.0.1:8001"}}),
      kChatBody);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("X-Gateway-Destination-Endpoint"), "127.0.0.1:8003");
  EXPECT_EQ(r.Header("X-EPP-Endpoints"), "127.0.0.1:8003,127.0.0.1:8001");
}

TEST_F(BridgeDevEpp, SubsetHintReachesEveryMessageAndConstrainsThePick) {
  std::string body(200000, 'x');
  for (int i = 0; i < 6; ++i) {
    std::string id = "subset-" + std::to_string(i);
    auto r = client_->Send(
        "POST", "/",
        EppHeaders(epp_->port(), {{"X-EPP-Subset", "127.0.0.1:8002"}, {"X-Request-Id", id}}), body);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Header("X-Gateway-Destination-Endpoint"), "127.0.0.1:8002");
    auto rec = Record(id);
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->messages_with_subset, rec->messages);
    EXPECT_EQ(rec->messages, 5u);  // headers + 4 chunks
  }
  auto none = client_->Send("POST", "/", EppHeaders(epp_->port(), {{"X-EPP-Subset", "10.9.9.9"}}),
                            kChatBody);
  EXPECT_EQ(none.status, 503);
  EXPECT_EQ(none.Header("X-EPP-Outcome"), "immediate");
}

TEST_F(BridgeDevEpp, ImmediateResponsesPassThrough) {
  for (int code : {429, 503, 400}) {
    auto r = client_->Send(
        "POST", "/",
        EppHeaders(epp_->port(), {{"x-dev-epp-fault", "status=" + std::to_string(code)}}),
        kChatBody);
    EXPECT_EQ(r.status, code);
    EXPECT_EQ(r.Header("X-EPP-Outcome"), "immediate");
    EXPECT_EQ(r.body, "inference error: injected status " + std::to_string(code));
  }
  // A bodyless status with a body (a hostile or sloppy EPP) is answered, not fatal.
  auto nobody = client_->Send(
      "POST", "/", EppHeaders(epp_->port(), {{"x-dev-epp-fault", "status=204"}}), kChatBody);
  EXPECT_EQ(nobody.status, 204);
  EXPECT_TRUE(nobody.body.empty());
  EXPECT_EQ(client_->Send("POST", "/", EppHeaders(epp_->port()), kChatBody).status, 200);
}

TEST_F(BridgeDevEpp, ManySequentialRequestsShareOneConnectionAndOneChannel) {
  for (int i = 0; i < 200; ++i) {
    auto r = client_->Send("POST", "/", EppHeaders(epp_->port()), kChatBody);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  EXPECT_EQ(client_->connects(), 1);
  EXPECT_EQ(bridge_->epp_targets(), 1u);
}

TEST_F(BridgeDevEpp, ConcurrentRequestsAllGetAnswers) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      HttpClient c(bridge_->port());
      for (int i = 0; i < 50; ++i) {
        if (c.Send("POST", "/", EppHeaders(epp_->port()), kChatBody).status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 400);
}

class BridgeRewrite : public BridgeDevEpp {
 protected:
  void SetUp() override {
    epp_options_.rewrite_from = "demo";
    epp_options_.rewrite_to = "rewritten";
    BridgeDevEpp::SetUp();
  }
};

TEST_F(BridgeRewrite, RewrittenModelComesBackAsMutatedBody) {
  auto r =
      client_->Send("POST", "/", EppHeaders(epp_->port(), {{"X-EPP-Want-Body", "1"}}), kChatBody);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("X-EPP-Body"), "mutated");
  EXPECT_NE(r.body.find("\"rewritten\""), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("\"demo\""), std::string::npos);
  EXPECT_EQ(r.Header("Content-Length"), std::to_string(r.body.size()));
  auto other = client_->Send("POST", "/", EppHeaders(epp_->port(), {{"X-EPP-Want-Body", "1"}}),
                             R"({"model":"other"})");
  EXPECT_EQ(other.Header("X-EPP-Body"), "original");
  // Not asked for (NGF's epp.js): the rewrite is reported, the body stays out.
  auto unasked = client_->Send("POST", "/", EppHeaders(epp_->port()), kChatBody);
  ASSERT_EQ(unasked.status, 200) << unasked.body;
  EXPECT_EQ(unasked.Header("X-EPP-Body"), "mutated");
  EXPECT_TRUE(unasked.body.empty()) << unasked.body;
}

}  // namespace
}  // namespace eppb::testing
