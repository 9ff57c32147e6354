// The bridge follows the EPP's grpc.health.v1 answer: NOT_SERVING fails new
// requests at once (503 epp-not-serving, so NGINX's failure mode applies),
// SERVING again lets them through, and an EPP without a health service is
// used as before.
#include <thread>

#include "observe/metrics.h"
#include "stack.h"

namespace eppb::testing {
namespace {

using testing_support::HttpClient;
using testing_support::HttpResult;

// A dev-epp with the given health answer and a bridge probing it every 100 ms.
class EppHealth : public ::testing::Test {
 protected:
  void Start(const std::string& health, const std::string& service = "") {
    DevEppOptions eo;
    eo.health = health;
    epp_ = StartEpp(eo);
    auto o = Plaintext();
    o.epp_health_interval_ms = 100;
    if (!service.empty()) o.epp_health_service = service;
    bridge_ = StartBridge(o);
    ASSERT_TRUE(epp_ && bridge_);
    client_ = std::make_unique<HttpClient>(bridge_->port());
  }
  HttpResult Send() {
    HttpResult r = client_->Send("POST", "/", EppHeaders(epp_->port()), kChatBody);
    if (r.status == 200) ++picked_;
    return r;
  }
  // The EPP records a stream when it ends (after the bridge's linger): waits
  // until every picked request's stream is recorded.
  size_t SettledStreams() {
    for (int i = 0; i < 100 && epp_->service().recorder().total() < picked_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return epp_->service().recorder().total();
  }
  // Sends requests until one gets `status` (or gives up after 5 s).
  HttpResult SendUntil(int status) {
    HttpResult r;
    for (int i = 0; i < 100; ++i) {
      r = Send();
      if (r.status == status) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return r;
  }
  // Whether /metrics comes to show this EPP's health as `health`.
  bool HealthShows(const std::string& health) {
    const std::string line = "epp_bridge_epp_health{health=\"" + health +
                             "\",target=\"127.0.0.1:" + std::to_string(epp_->port()) + "\"} 1";
    for (int i = 0; i < 100; ++i) {
      if (Metrics::Get().Serialize().find(line) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::unique_ptr<DevEppServer> epp_;
  std::unique_ptr<BridgeServer> bridge_;
  std::unique_ptr<HttpClient> client_;
  size_t picked_ = 0;  // answers that came from the EPP
};

TEST_F(EppHealth, NotServingFailsFastAndServingRecovers) {
  Start("not-serving");
  auto refused = SendUntil(503);
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.Header("X-EPP-Outcome"), "error");
  EXPECT_EQ(refused.Header("X-EPP-Error"), "epp-not-serving");
  EXPECT_TRUE(HealthShows("not_serving"));
  // A request sent before the first probe answered may have been picked.
  size_t streams_before = SettledStreams();
  EXPECT_EQ(Send().status, 503);
  EXPECT_EQ(SettledStreams(), streams_before);  // never reached the EPP

  epp_->SetServing(true);
  auto picked = SendUntil(200);
  EXPECT_EQ(picked.status, 200);
  EXPECT_EQ(picked.Header("X-EPP-Outcome"), "picked");
  EXPECT_TRUE(HealthShows("serving"));

  epp_->SetServing(false);
  EXPECT_EQ(SendUntil(503).Header("X-EPP-Error"), "epp-not-serving");
}

TEST_F(EppHealth, RecoveryIsSeenAtTheUnhealthyIntervalNotTheNormalOne) {
  DevEppOptions eo;
  eo.health = "not-serving";
  epp_ = StartEpp(eo);
  auto o = Plaintext();
  o.epp_health_interval_ms = 60000;  // the normal cadence would not re-ask during the test
  o.epp_health_unhealthy_interval_ms = 100;
  bridge_ = StartBridge(o);
  ASSERT_TRUE(epp_ && bridge_);
  client_ = std::make_unique<HttpClient>(bridge_->port());
  EXPECT_EQ(SendUntil(503).Header("X-EPP-Error"), "epp-not-serving");
  epp_->SetServing(true);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(SendUntil(200).status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  // Healthy again: the normal cadence applies, so a relapse goes unseen for now.
  epp_->SetServing(false);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(Send().status, 200);
}

TEST_F(EppHealth, EppWithoutHealthServiceIsUsed) {
  Start("off");
  EXPECT_EQ(Send().status, 200);
  EXPECT_TRUE(HealthShows("unknown"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // several probes answered
  EXPECT_EQ(Send().status, 200);
}

// A health service that does not know the probed name (NOT_FOUND, or
// SERVICE_UNKNOWN from GIE's EPP) says nothing about serving: traffic flows.
TEST_F(EppHealth, UnknownServiceNameIsNotARefusal) {
  Start("not-serving", "no.such.Service");  // not-serving only for the names it registers
  EXPECT_EQ(Send().status, 200);
  EXPECT_TRUE(HealthShows("unknown"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Send().status, 200);
}

}  // namespace
}  // namespace eppb::testing
