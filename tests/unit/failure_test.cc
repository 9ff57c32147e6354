#include "common/failure.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <tuple>

#include "common/bridge_answer.h"

namespace eppb {
namespace {

TEST(FailureTable, EveryRowIsDistinctAndWellFormed) {
  std::set<std::tuple<std::string, int, Outcome>> seen;
  for (size_t i = 0; i < kFailureCount; ++i) {
    const FailureInfo& f = Describe(static_cast<Failure>(i));
    EXPECT_EQ(static_cast<size_t>(f.failure), i);
    EXPECT_FALSE(std::string(f.token).empty());
    EXPECT_GE(f.status, 400) << f.token;
    EXPECT_LE(f.status, 599) << f.token;
    EXPECT_TRUE(f.outcome == Outcome::kError || f.outcome == Outcome::kRejected) << f.token;
    EXPECT_TRUE(seen.emplace(f.token, f.status, f.outcome).second) << f.token;
  }
}

TEST(FailureTable, FailTakesStatusOutcomeAndTokenFromTheTable) {
  BridgeAnswer a = BridgeAnswer::Fail(Failure::kRequestBodyTooLarge, "too big");
  EXPECT_EQ(a.outcome, Outcome::kRejected);
  EXPECT_EQ(a.status, 413);
  EXPECT_EQ(a.error_reason, "body-too-large");
  EXPECT_EQ(a.body, "too big");
  BridgeAnswer b = BridgeAnswer::Fail(Failure::kDeadlineExceeded, "slow");
  EXPECT_EQ(b.outcome, Outcome::kError);
  EXPECT_EQ(b.status, 504);
  EXPECT_EQ(b.error_reason, "deadline-exceeded");
}

}  // namespace
}  // namespace eppb
