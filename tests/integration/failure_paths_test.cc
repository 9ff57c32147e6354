// The bridge against a misbehaving or absent EPP: every failure gets a
// defined answer within the deadline, and nothing is left behind.
#include <boost/asio/ip/tcp.hpp>
#include <thread>

#include "stack.h"

namespace eppb::testing {
namespace {

using testing_support::HttpClient;
using Clock = std::chrono::steady_clock;

class FailurePaths : public ::testing::Test {
 protected:
  void SetUp() override {
    epp_ = StartEpp();
    auto o = Plaintext();
    o.deadline_ms = 1500;  // room for a first connect under sanitizers on a busy machine
    o.max_body_bytes = 1 << 20;
    o.max_header_bytes = 4096;
    bridge_ = StartBridge(o);
    ASSERT_TRUE(epp_ && bridge_);
    client_ = std::make_unique<HttpClient>(bridge_->port());
  }
  testing_support::HttpResult Fault(const std::string& fault) {
    return client_->Send("POST", "/", EppHeaders(epp_->port(), {{"x-dev-epp-fault", fault}}),
                         kChatBody);
  }
  void ExpectNothingLeft() { testing::ExpectNothingLeft(*epp_, *bridge_); }
  std::unique_ptr<DevEppServer> epp_;
  std::unique_ptr<BridgeServer> bridge_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(FailurePaths, EppErrorsMapToDefinedAnswers) {
  struct Case {
    const char* fault;
    int status;
    const char* reason;
  } cases[] = {
      {"grpc-error", 502, "grpc-error"},
      {"garbage-endpoint", 502, "invalid-endpoint"},
      {"garbage-endpoint=10.0.0.1:0", 502, "invalid-endpoint"},
      {"garbage-endpoint=10.0.0.1:70000", 502, "invalid-endpoint"},
      {"garbage-endpoint=model.local:80", 502, "invalid-endpoint"},
      {"close-early", 502, "no-decision"},
      {"mismatch", 502, "endpoint-mismatch"},
  };
  for (const auto& c : cases) {
    auto r = Fault(c.fault);
    EXPECT_EQ(r.status, c.status) << c.fault;
    EXPECT_EQ(r.Header("X-EPP-Outcome"), "error") << c.fault;
    EXPECT_EQ(r.Header("X-EPP-Error"), c.reason) << c.fault;
    EXPECT_FALSE(r.body.empty());
  }
  EXPECT_EQ(Fault("metadata-only").status, 200);
  EXPECT_EQ(Fault("no-metadata").status, 200);
  ExpectNothingLeft();
}

TEST_F(FailurePaths, SlowOrSilentEppHitsTheDeadline) {
  for (const char* fault : {"delay=2000", "no-reply"}) {
    auto start = Clock::now();
    auto r = Fault(fault);
    auto took = Clock::now() - start;
    EXPECT_EQ(r.status, 504) << fault;
    EXPECT_EQ(r.Header("X-EPP-Error"), "deadline-exceeded");
    EXPECT_LT(took, std::chrono::milliseconds(3000)) << fault;
  }
  ExpectNothingLeft();
  EXPECT_EQ(Fault("delay=100").status, 200);  // slow but inside the deadline
}

TEST_F(FailurePaths, EppDownIsA503Quickly) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  int dead_port = probe.local_endpoint().port();
  probe.close();  // nothing listens there now
  auto start = Clock::now();
  auto r = client_->Send("POST", "/", EppHeaders(dead_port), kChatBody);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("X-EPP-Error"), "epp-unavailable");
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1500));  // before the deadline
}

TEST_F(FailurePaths, BlackholedEppHitsTheDeadline) {
  boost::asio::io_context io;  // accepts TCP, never speaks HTTP/2
  boost::asio::ip::tcp::acceptor hole(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  auto start = Clock::now();
  auto r = client_->Send("POST", "/", EppHeaders(hole.local_endpoint().port()), kChatBody);
  EXPECT_TRUE(r.status == 504 || r.status == 503) << r.status;
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(3000));
}

TEST_F(FailurePaths, CallerHangUpCancelsTheStream) {
  client_->SendAndHangUp("POST", "/", EppHeaders(epp_->port(), {{"x-dev-epp-fault", "no-reply"}}),
                         kChatBody);
  for (int i = 0; i < 100 && epp_->service().open_streams() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto start = Clock::now();
  ExpectNothingLeft();
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1000));  // before the deadline
}

TEST_F(FailurePaths, OversizedInputGetsClearStatuses) {
  auto big = client_->Send("POST", "/", EppHeaders(epp_->port()), std::string((1 << 20) + 1, 'x'));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.Header("X-EPP-Error"), "body-too-large");
  testing_support::HttpClient c2(bridge_->port());
  auto hdr = c2.Send("POST", "/", EppHeaders(epp_->port(), {{"x-big", std::string(8000, 'a')}}),
                     kChatBody);
  EXPECT_EQ(hdr.status, 431);
  testing_support::HttpClient c3(bridge_->port());
  EXPECT_EQ(c3.Send("POST", "/", EppHeaders(epp_->port()), kChatBody).status, 200);
}

TEST(Capacity, OverTheInflightCapIs503) {
  auto epp = StartEpp();
  auto o = Plaintext();
  o.max_inflight = 1;
  auto bridge = StartBridge(o);
  std::thread slow([&] {
    HttpClient c(bridge->port());
    auto r =
        c.Send("POST", "/", EppHeaders(epp->port(), {{"x-dev-epp-fault", "delay=400"}}), kChatBody);
    EXPECT_EQ(r.status, 200);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  HttpClient c(bridge->port());
  auto r = c.Send("POST", "/", EppHeaders(epp->port()), kChatBody);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("X-EPP-Error"), "over-capacity");
  slow.join();
}

TEST(Drain, InFlightExchangesFinishThenTheServerStops) {
  auto epp = StartEpp();
  auto bridge = StartBridge(Plaintext());
  std::thread slow([&] {
    HttpClient c(bridge->port());
    auto r =
        c.Send("POST", "/", EppHeaders(epp->port(), {{"x-dev-epp-fault", "delay=300"}}), kChatBody);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("Connection"), "close");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  bridge->Drain();
  bridge->Wait();  // returns once the slow exchange has been answered
  slow.join();
  HttpClient late(bridge->port());
  EXPECT_EQ(late.Send("POST", "/", EppHeaders(epp->port()), kChatBody).status, 0);
}

}  // namespace
}  // namespace eppb::testing

namespace eppb::testing {
namespace {

// Endpoints the EPP may name: --allowed-endpoint-cidr, and the subset hint.
TEST(EndpointRestrictions, DecisionsOutsideTheAllowedNetworksOrSubsetAreErrors) {
  auto epp = StartEpp();
  auto o = Plaintext();
  o.allowed_endpoint_cidrs = {"10.0.0.0/8", "fd00::/8"};
  auto bridge = StartBridge(o);
  ASSERT_TRUE(epp && bridge);
  HttpClient client(bridge->port());
  // The dev-epp names the endpoints of test-epp-endpoint-selection; with a
  // subset hint, garbage-endpoint makes it ignore the hint (one endpoint).
  auto send = [&](const std::string& endpoints, std::string subset = "") {
    Headers extra{{"test-epp-endpoint-selection", endpoints}};
    if (!subset.empty()) {
      extra = {{"x-dev-epp-fault", "garbage-endpoint=" + endpoints}, {"X-EPP-Subset", subset}};
    }
    return client.Send("POST", "/", EppHeaders(epp->port(), extra), kChatBody);
  };
  auto ok = send("10.1.2.3:8000,[fd00::7]:8000");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.Header("X-EPP-Outcome"), "picked");
  EXPECT_EQ(ok.Header("X-Gateway-Destination-Endpoint"), "10.1.2.3:8000");

  for (const char* outside :
       {"192.0.2.1:80", "10.1.2.3:8000,169.254.169.254:80", "127.0.0.1:8000", "[2001:db8::1]:80"}) {
    auto r = send(outside);
    EXPECT_EQ(r.status, 502) << outside;
    EXPECT_EQ(r.Header("X-EPP-Outcome"), "error") << outside;
    EXPECT_EQ(r.Header("X-EPP-Error"), "endpoint-not-allowed") << outside;
  }

  EXPECT_EQ(send("10.0.0.2:8000", "10.0.0.1:8000, 10.0.0.2").status, 200);
  // Another port of a listed IP (a data-parallel rank) is in the subset, as
  // for llm-d-router, which matches the hint by IP.
  auto rank = send("10.0.0.1:8001", "10.0.0.1:8000");
  EXPECT_EQ(rank.status, 200) << rank.body;
  EXPECT_EQ(rank.Header("X-Gateway-Destination-Endpoint"), "10.0.0.1:8001");
  auto r = send("10.0.0.3:8000", "10.0.0.1:8000, 10.0.0.2");
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.Header("X-EPP-Error"), "endpoint-outside-subset");
  EXPECT_NE(r.body.find("10.0.0.3:8000"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace eppb::testing
