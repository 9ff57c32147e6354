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

// Sends requests until one gets `status` (health is probed every 100 ms).
testing_support::HttpResult SendUntil(HttpClient& client, int epp_port, int status) {
  testing_support::HttpResult r;
  for (int i = 0; i < 100; ++i) {
    r = client.Send("POST", "/", EppHeaders(epp_port), kChatBody);
    if (r.status == status) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return r;
}

bool MetricShows(const std::string& line) {
  for (int i = 0; i < 100; ++i) {
    if (Metrics::Get().Serialize().find(line) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(EppHealth, NotServingFailsFastAndServingRecovers) {
  DevEppOptions eo;
  eo.health = "not-serving";
  auto epp = StartEpp(eo);
  auto o = Plaintext();
  o.epp_health_interval_ms = 100;
  auto bridge = StartBridge(o);
  ASSERT_TRUE(epp && bridge);
  HttpClient client(bridge->port());
  const std::string target = "127.0.0.1:" + std::to_string(epp->port());

  auto refused = SendUntil(client, epp->port(), 503);
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.Header("X-EPP-Outcome"), "error");
  EXPECT_EQ(refused.Header("X-EPP-Error"), "epp-not-serving");
  EXPECT_TRUE(
      MetricShows("epp_bridge_epp_health{health=\"not_serving\",target=\"" + target + "\"} 1"));
  size_t streams_before = epp->service().recorder().total();
  EXPECT_EQ(client.Send("POST", "/", EppHeaders(epp->port()), kChatBody).status, 503);
  EXPECT_EQ(epp->service().recorder().total(), streams_before);  // never reached the EPP

  epp->SetServing(true);
  auto picked = SendUntil(client, epp->port(), 200);
  EXPECT_EQ(picked.status, 200);
  EXPECT_EQ(picked.Header("X-EPP-Outcome"), "picked");
  EXPECT_TRUE(MetricShows("epp_bridge_epp_health{health=\"serving\",target=\"" + target + "\"} 1"));

  epp->SetServing(false);
  EXPECT_EQ(SendUntil(client, epp->port(), 503).Header("X-EPP-Error"), "epp-not-serving");
}

TEST(EppHealth, EppWithoutHealthServiceIsUsed) {
  DevEppOptions eo;
  eo.health = "off";
  auto epp = StartEpp(eo);
  auto o = Plaintext();
  o.epp_health_interval_ms = 100;
  auto bridge = StartBridge(o);
  ASSERT_TRUE(epp && bridge);
  HttpClient client(bridge->port());
  const std::string target = "127.0.0.1:" + std::to_string(epp->port());
  EXPECT_EQ(client.Send("POST", "/", EppHeaders(epp->port()), kChatBody).status, 200);
  EXPECT_TRUE(MetricShows("epp_bridge_epp_health{health=\"unknown\",target=\"" + target + "\"} 1"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // several probes answered
  EXPECT_EQ(client.Send("POST", "/", EppHeaders(epp->port()), kChatBody).status, 200);
}

// A health service that does not know the probed name (NOT_FOUND, or
// SERVICE_UNKNOWN from GIE's EPP) says nothing about serving: traffic flows.
TEST(EppHealth, UnknownServiceNameIsNotARefusal) {
  DevEppOptions eo;
  eo.health = "not-serving";  // only for the names the dev-epp registers
  auto epp = StartEpp(eo);
  auto o = Plaintext();
  o.epp_health_interval_ms = 100;
  o.epp_health_service = "no.such.Service";
  auto bridge = StartBridge(o);
  ASSERT_TRUE(epp && bridge);
  HttpClient client(bridge->port());
  const std::string target = "127.0.0.1:" + std::to_string(epp->port());
  EXPECT_EQ(client.Send("POST", "/", EppHeaders(epp->port()), kChatBody).status, 200);
  EXPECT_TRUE(MetricShows("epp_bridge_epp_health{health=\"unknown\",target=\"" + target + "\"} 1"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(client.Send("POST", "/", EppHeaders(epp->port()), kChatBody).status, 200);
}

}  // namespace
}  // namespace eppb::testing
