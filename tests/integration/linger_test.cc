// --linger-ms against an EPP that ignores the bridge's half-close: the
// stream is cancelled when the linger time runs out, after a plain pick and
// after a held stream's response phase alike.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <thread>

#include "observe/metrics.h"
#include "stack.h"
#include "support/metric_value.h"

namespace eppb::testing {
namespace {

using Clock = std::chrono::steady_clock;

double LingerExpired() { return testing_support::MetricValue("epp_bridge_linger_expired_total"); }

// How long until the EPP has no stream open, or nullopt after `limit`.
std::optional<std::chrono::milliseconds> UntilClosed(DevEppServer& epp,
                                                     std::chrono::milliseconds limit) {
  auto start = Clock::now();
  while (epp.service().open_streams().load() > 0) {
    if (Clock::now() - start > limit) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

TEST(Linger, AnEppIgnoringTheHalfCloseIsCancelledAtLingerMs) {
  auto epp = StartEpp();
  auto o = Plaintext();
  o.linger_ms = 300;
  auto bridge = StartBridge(o);
  ASSERT_TRUE(epp && bridge);
  double before = LingerExpired();
  testing_support::HttpClient client(bridge->port());
  auto r = client.Send(
      "POST", "/", EppHeaders(epp->port(), {{"x-dev-epp-fault", "ignore-half-close"}}), kChatBody);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(epp->service().open_streams().load(), 1) << "the EPP keeps its side open";
  // Without enforcement the stream lives until gRPC's own deadline (the
  // exchange deadline plus the linger plus a second: over 30 s).
  auto closed = UntilClosed(*epp, std::chrono::seconds(5));
  ASSERT_TRUE(closed) << "the stream outlived --linger-ms";
  EXPECT_EQ(LingerExpired(), before + 1);
}

TEST(Linger, AHeldStreamReleasedAtShutdownToo) {
  testing_support::TempDir dir;
  auto epp = StartEpp();
  auto o = Plaintext();
  o.linger_ms = 300;
  o.completion_socket = dir.File("completion.sock");
  auto bridge = StartBridge(o);
  ASSERT_TRUE(epp && bridge);
  double before = LingerExpired();
  testing_support::HttpClient client(bridge->port());
  auto r = client.Send(
      "POST", "/",
      EppHeaders(epp->port(), {{"x-dev-epp-fault", "ignore-half-close"},
                               {"X-EPP-Completion-Key", "0123456789abcdef0123456789abcdef"}}),
      kChatBody);
  ASSERT_EQ(r.status, 200) << r.body;
  // Held: more than the linger time passes without a record.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(epp->service().open_streams().load(), 1);
  EXPECT_EQ(LingerExpired(), before);
  // Shutdown releases it; the EPP ignores that half-close too.
  bridge->holds()->ReleaseAll("shutdown");
  ASSERT_TRUE(UntilClosed(*epp, std::chrono::seconds(5)));
  EXPECT_EQ(LingerExpired(), before + 1);
}

}  // namespace
}  // namespace eppb::testing
