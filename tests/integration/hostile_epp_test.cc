// The bridge against an EPP that sends what no honest EPP would: oversized
// decisions, destinations in immediate responses, endless body replies, a
// stream kept open after the half-close (dev-epp faults).
#include <thread>

#include "stack.h"

namespace eppb::testing {
namespace {

using testing_support::HttpClient;
using Clock = std::chrono::steady_clock;

TEST(HostileEpp, DevEppShutdownEndsAStreamKeptOpenAfterTheHalfClose) {
  auto epp = StartEpp();
  auto o = Plaintext();
  o.linger_ms = 60000;  // the bridge would wait this long for the EPP to end it
  auto bridge = StartBridge(o);
  ASSERT_TRUE(epp && bridge);
  HttpClient client(bridge->port());
  auto r = client.Send(
      "POST", "/", EppHeaders(epp->port(), {{"x-dev-epp-fault", "ignore-half-close"}}), kChatBody);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("X-EPP-Outcome"), "picked");
  // The stream stays open after the bridge's half-close.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(epp->service().open_streams().load(), 1);
  // Stopping the dev-epp ends it at once instead of after the 2 s shutdown deadline.
  auto start = Clock::now();
  epp->Shutdown();
  epp->Wait();
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1500));
  EXPECT_EQ(epp->service().open_streams().load(), 0);
  for (int i = 0; i < 200 && bridge->context().inflight > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(bridge->context().inflight.load(), 0u);
}

}  // namespace
}  // namespace eppb::testing
