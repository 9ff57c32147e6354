// The per-target connection series, on either transport: the state of the
// channel (or of the HTTP/2 connections) to each EPP, and a reconnect
// counted when an EPP that went away is reached again.
#include <thread>

#include "stack.h"
#include "support/metric_value.h"

namespace eppb::testing {
namespace {

using testing_support::HttpClient;
using testing_support::MetricValue;

std::string Series(const std::string& name, const std::string& labels, int port) {
  return name + "{" + labels + (labels.empty() ? "" : ",") +
         "target=\"127.0.0.1:" + std::to_string(port) + "\"}";
}

// Waits (up to 5 s) until `series` has `value`.
bool Shows(const std::string& series, double value) {
  for (int i = 0; i < 100; ++i) {
    if (MetricValue(series) == value) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(EppChannelMetrics, StateIsExportedAndAReturningEppCountsAReconnect) {
  auto epp = StartEpp();
  auto bridge = StartBridge(Plaintext());
  ASSERT_TRUE(epp && bridge);
  const int port = epp->port();
  HttpClient client(bridge->port());
  ASSERT_EQ(client.Send("POST", "/", EppHeaders(port), kChatBody).status, 200);
  const auto ready = Series("epp_bridge_epp_channel_state", "state=\"ready\"", port);
  const auto reconnects = Series("epp_bridge_epp_reconnects_total", "", port);
  EXPECT_TRUE(Shows(ready, 1));
  double before = MetricValue(reconnects);

  // The EPP goes away: the connection is lost.
  epp.reset();
  EXPECT_TRUE(Shows(ready, 0));

  // It comes back on the same port: the next requests reach it again.
  DevEppOptions o;
  o.listen = "127.0.0.1:" + std::to_string(port);
  o.endpoints = PoolEndpoints();
  std::string error;
  auto again = DevEppServer::Start(o, &error);
  ASSERT_TRUE(again) << error;
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    status = client.Send("POST", "/", EppHeaders(port), kChatBody).status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 200);
  EXPECT_TRUE(Shows(ready, 1));
  EXPECT_TRUE(Shows(reconnects, before + 1)) << MetricValue(reconnects);
}

}  // namespace
}  // namespace eppb::testing
