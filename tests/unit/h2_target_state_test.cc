// The state one EPP target's per-worker pools share: the target's channel
// state folded from the pools', and reconnects counted once per return.
#include "h2/h2_target_state.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "support/metric_value.h"

namespace eppb {
namespace {

using Pool = H2TargetState::Pool;
using testing_support::MetricValue;

double State(const std::string& key, const char* state) {
  return MetricValue("epp_bridge_epp_channel_state{state=\"" + std::string(state) + "\",target=\"" +
                     key + "\"}");
}

double Reconnects(const std::string& key) {
  return MetricValue("epp_bridge_epp_reconnects_total{target=\"" + key + "\"}");
}

TEST(H2TargetState, TheTargetIsReadyWhileOnePoolIs) {
  H2TargetState t("unit-fold:1");
  t.Join();
  t.Join();
  EXPECT_EQ(State("unit-fold:1", "idle"), 1);
  t.Move(Pool::kIdle, Pool::kConnecting);
  EXPECT_EQ(State("unit-fold:1", "connecting"), 1);
  t.Move(Pool::kIdle, Pool::kReady);  // the other pool connected first
  EXPECT_EQ(State("unit-fold:1", "ready"), 1);
  EXPECT_EQ(State("unit-fold:1", "connecting"), 0);
  t.Move(Pool::kConnecting, Pool::kTransientFailure);
  EXPECT_EQ(State("unit-fold:1", "ready"), 1);
  t.Move(Pool::kReady, Pool::kIdle);  // its connection closed, the other backs off
  EXPECT_EQ(State("unit-fold:1", "transient_failure"), 1);
  EXPECT_EQ(State("unit-fold:1", "ready"), 0);
}

TEST(H2TargetState, AReturnCountsOneReconnectWhicheverPoolComesBack) {
  const std::string key = "unit-return:1";
  H2TargetState t(key);
  t.Join();
  t.Join();
  t.Move(Pool::kIdle, Pool::kReady);
  t.Move(Pool::kIdle, Pool::kReady);
  EXPECT_EQ(Reconnects(key), 0);  // the first time ready is no return
  t.Move(Pool::kReady, Pool::kIdle);
  EXPECT_EQ(Reconnects(key), 0);  // the other pool still serves
  t.Move(Pool::kReady, Pool::kIdle);
  t.Move(Pool::kIdle, Pool::kReady);
  t.Move(Pool::kIdle, Pool::kReady);
  EXPECT_EQ(Reconnects(key), 1);
  EXPECT_EQ(State(key, "ready"), 1);
}

TEST(H2TargetState, ARetiredTargetExportsNothing) {
  const std::string key = "unit-retired:1";
  H2TargetState t(key);
  t.Join();
  t.Move(Pool::kIdle, Pool::kReady);
  t.Retire();
  t.Move(Pool::kReady, Pool::kIdle);
  t.Move(Pool::kIdle, Pool::kReady);
  EXPECT_EQ(State(key, "ready"), 1);  // the last state before it was retired
  EXPECT_EQ(Reconnects(key), 0);
}

TEST(H2TargetState, PoolsMovingAtOnceLeaveTheStateOfTheirLastMoves) {
  const std::string key = "unit-race:1";
  H2TargetState t(key);
  constexpr int kPools = 4;
  for (int i = 0; i < kPools; ++i) t.Join();
  std::vector<std::thread> pools;
  for (int i = 0; i < kPools; ++i) {
    pools.emplace_back([&t, i] {
      for (int n = 0; n < 2000; ++n) {
        t.Move(Pool::kIdle, Pool::kConnecting);
        t.Move(Pool::kConnecting, Pool::kReady);
        t.Move(Pool::kReady, Pool::kIdle);
      }
      // Pool 0 ends ready, the others idle.
      if (i == 0) t.Move(Pool::kIdle, Pool::kReady);
    });
  }
  for (auto& p : pools) p.join();
  EXPECT_EQ(State(key, "ready"), 1);
  EXPECT_EQ(State(key, "idle"), 0);
  EXPECT_EQ(State(key, "connecting"), 0);
  for (int i = 1; i < kPools; ++i) t.Move(Pool::kIdle, Pool::kShutdown);
  t.Move(Pool::kReady, Pool::kShutdown);
  EXPECT_EQ(State(key, "ready"), 1);  // shutdown is not exported: the series keeps its last state
}

}  // namespace
}  // namespace eppb
