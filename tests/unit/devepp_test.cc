#include <gtest/gtest.h>

#include "devepp/fault.h"
#include "devepp/picker.h"

namespace eppb {
namespace {

TEST(Fault, ParsesEveryItem) {
  auto f = Fault::Parse("status=429, delay=50,grpc-error,garbage-endpoint=x:1,close-early");
  EXPECT_EQ(f.status, 429);
  EXPECT_EQ(f.delay_ms, 50);
  EXPECT_TRUE(f.grpc_error);
  EXPECT_EQ(f.garbage_endpoint, "x:1");
  EXPECT_TRUE(f.close_early);
  EXPECT_EQ(Fault::Parse("garbage-endpoint").garbage_endpoint, "not-an-endpoint");
  EXPECT_FALSE(Fault::Parse("status=abc").status);
  EXPECT_FALSE(Fault::Parse("").grpc_error);
}

TEST(Fault, ParsesHostileAnswerItemsWithCaps) {
  auto f = Fault::Parse(
      "endpoints=5000,remove=6000,set-header-bytes=5000,immediate-destination=10.0.0.1:80,"
      "endless-body,ignore-half-close");
  EXPECT_EQ(f.endpoints, 5000u);
  EXPECT_EQ(f.remove_repeats, 6000u);
  EXPECT_EQ(f.set_header_bytes, 5000u);
  EXPECT_EQ(f.immediate_destination, "10.0.0.1:80");
  EXPECT_TRUE(f.endless_body);
  EXPECT_TRUE(f.ignore_half_close);
  // Capped, so the dev-epp cannot be made to allocate without limit.
  auto big =
      Fault::Parse("endpoints=999999999999999999999,remove=200000,set-header-bytes=9999999999");
  EXPECT_EQ(big.endpoints, Fault::kMaxCount);
  EXPECT_EQ(big.remove_repeats, Fault::kMaxCount);
  EXPECT_EQ(big.set_header_bytes, Fault::kMaxHeaderBytes);
  // Malformed or negative: off.
  auto bad = Fault::Parse("endpoints=-1,remove=x,set-header-bytes=");
  EXPECT_EQ(bad.endpoints, 0u);
  EXPECT_EQ(bad.remove_repeats, 0u);
  EXPECT_EQ(bad.set_header_bytes, 0u);
  EXPECT_FALSE(Fault::Parse("status=200").immediate_destination);
  EXPECT_FALSE(Fault::Parse("").endless_body);
}

std::vector<Endpoint> Pool() {
  return {{"10.0.0.1", 1, false}, {"10.0.0.2", 2, false}, {"10.0.0.3", 3, false}};
}

TEST(Picker, RoundRobinCyclesAndRanksTheRestAsFallbacks) {
  Picker p(Pool(), PickPolicy::kRoundRobin);
  std::vector<std::string> firsts;
  for (int i = 0; i < 3; ++i) {
    auto r = p.Rank({});
    ASSERT_EQ(r.size(), 3u);
    firsts.push_back(r[0].ToString());
  }
  EXPECT_EQ(firsts, (std::vector<std::string>{"10.0.0.1:1", "10.0.0.2:2", "10.0.0.3:3"}));
}

TEST(Picker, LeastInFlightAvoidsBusyEndpoints) {
  Picker p(Pool(), PickPolicy::kLeastInFlight);
  auto busy1 = p.Acquire(Pool()[0]);
  auto busy2 = p.Acquire(Pool()[1]);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(p.Rank({})[0].ToString(), "10.0.0.3:3");
  EXPECT_EQ(p.InFlight(), (std::vector<int>{1, 1, 0}));
  busy1.reset();
  EXPECT_EQ(p.InFlight(), (std::vector<int>{0, 1, 0}));
}

TEST(Picker, SubsetFilters) {
  Picker p(Pool(), PickPolicy::kRoundRobin);
  std::vector<SubsetToken> subset{{"10.0.0.2", std::nullopt}};
  for (int i = 0; i < 3; ++i) {
    auto r = p.Rank(subset);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].ToString(), "10.0.0.2:2");
  }
  EXPECT_TRUE(p.Rank({{"10.9.9.9", std::nullopt}}).empty());
  EXPECT_EQ(p.Acquire({"10.9.9.9", 1, false}), nullptr);
}

}  // namespace
}  // namespace eppb
