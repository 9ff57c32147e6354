// The EPP target table (--max-epp-targets): idle targets make room for new
// ones, least recently used first; a target with a stream open is never
// evicted.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <set>
#include <thread>

#include "observe/metrics.h"
#include "stack.h"
#include "support/metric_value.h"

namespace eppb::testing {
namespace {

using testing_support::HttpClient;

// A loopback port nothing listens on (bound, then released).
int DeadPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), len), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  close(fd);
  return ntohs(a.sin_port);
}

double Evictions() { return testing_support::MetricValue("epp_bridge_epp_target_evictions_total"); }

TEST(EppTargets, IdleTargetsAreEvictedSoANewEppIsServed) {
  auto epp = StartEpp();
  auto o = Plaintext();
  o.max_epp_targets = 4;
  auto bridge = StartBridge(o);
  ASSERT_TRUE(epp && bridge);
  HttpClient client(bridge->port());
  const double before = Evictions();
  ASSERT_GE(before, 0);
  std::set<int> dead;  // the kernel may hand the same free port out twice
  while (dead.size() < 10) dead.insert(DeadPort());
  for (int port : dead) {  // more distinct (dead) EPPs than slots
    auto r = client.Send("POST", "/", EppHeaders(port), kChatBody);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.Header("X-EPP-Error"), "epp-unavailable") << r.body;
  }
  EXPECT_EQ(bridge->epp_targets(), 4u);
  auto r = client.Send("POST", "/", EppHeaders(epp->port()), kChatBody);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("X-EPP-Outcome"), "picked");
  EXPECT_EQ(bridge->epp_targets(), 4u);
  EXPECT_GE(Evictions() - before, 7);  // 11 targets through 4 slots
  // The evicted channels' series are gone from /metrics; the live ones stay.
  const std::string text = Metrics::Get().Serialize();
  EXPECT_NE(text.find("target=\"127.0.0.1:" + std::to_string(epp->port()) + "\""),
            std::string::npos);
}

TEST(EppTargets, TargetWithAnOpenStreamIsNeverEvicted) {
  auto busy = StartEpp();
  auto other = StartEpp();
  auto o = Plaintext();
  o.max_epp_targets = 1;
  auto bridge = StartBridge(o);
  ASSERT_TRUE(busy && other && bridge);
  // A slow decision keeps a stream open on the only slot.
  auto slow = std::async(std::launch::async, [&] {
    HttpClient c(bridge->port());
    return c.Send("POST", "/", EppHeaders(busy->port(), {{"x-dev-epp-fault", "delay=1500"}}),
                  kChatBody);
  });
  for (int i = 0; i < 100 && busy->service().open_streams().load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(busy->service().open_streams().load(), 1);
  HttpClient client(bridge->port());
  auto refused = client.Send("POST", "/", EppHeaders(other->port()), kChatBody);
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.Header("X-EPP-Error"), "too-many-epp-targets");
  auto done = slow.get();
  EXPECT_EQ(done.status, 200) << done.body;
  // Once the stream has ended (the EPP closes it after the answer) the slot
  // is idle, and the other EPP gets it.
  testing_support::HttpResult served;
  for (int i = 0; i < 50; ++i) {
    served = client.Send("POST", "/", EppHeaders(other->port()), kChatBody);
    if (served.Header("X-EPP-Error") != "too-many-epp-targets") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(served.status, 200) << served.body;
  EXPECT_EQ(bridge->epp_targets(), 1u);
}

}  // namespace
}  // namespace eppb::testing
