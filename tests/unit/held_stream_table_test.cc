// The held-stream table on its strand (here: an executor the test runs).
#include "complete/held_stream_table.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "observe/metrics.h"

namespace eppb {
namespace {

class FakeHeld : public HeldStream {
 public:
  void Complete(const CompletionRecord& r) override { completed = r.request_id; }
  void Release(const char* reason) override { released = reason; }
  std::string completed, released;
};

class HeldStreamTableTest : public ::testing::Test {
 protected:
  void Poll() {
    io_.restart();
    io_.poll();
  }
  boost::asio::io_context io_;
};

TEST_F(HeldStreamTableTest, MatchesDuplicatesLateAndUnknown) {
  HeldStreamTable t(io_.get_executor(), 10, Metrics::Get());
  auto a = std::make_shared<FakeHeld>();
  t.Hold("a", a);
  EXPECT_EQ(t.size(), 0u) << "Hold posts to the table's strand";
  Poll();
  EXPECT_EQ(t.size(), 1u);
  CompletionRecord r;
  r.request_id = "a";
  r.status = 200;
  EXPECT_STREQ(t.Complete(r), "matched");
  EXPECT_EQ(a->completed, "a");
  EXPECT_STREQ(t.Complete(r), "duplicate");
  auto b = std::make_shared<FakeHeld>();
  t.Hold("b", b);
  t.Remove("b", b.get());  // its TTL expired
  Poll();
  r.request_id = "b";
  EXPECT_STREQ(t.Complete(r), "late");
  r.request_id = "never";
  EXPECT_STREQ(t.Complete(r), "unknown");
  EXPECT_EQ(t.size(), 0u);
}

TEST_F(HeldStreamTableTest, FullTableReleasesTheOldestAndSameKeyReplaces) {
  HeldStreamTable t(io_.get_executor(), 2, Metrics::Get());
  auto a = std::make_shared<FakeHeld>(), b = std::make_shared<FakeHeld>(),
       c = std::make_shared<FakeHeld>(), b2 = std::make_shared<FakeHeld>();
  t.Hold("a", a);
  t.Hold("b", b);
  t.Hold("c", c);
  Poll();
  EXPECT_EQ(a->released, "capacity");
  EXPECT_EQ(t.size(), 2u);
  t.Hold("b", b2);
  Poll();
  EXPECT_EQ(b->released, "replaced");
  t.Remove("b", b.get());  // no longer the holder: b2 stays
  Poll();
  EXPECT_EQ(t.size(), 2u);
  t.ReleaseAll("shutdown");
  Poll();
  EXPECT_EQ(b2->released, "shutdown");
  EXPECT_EQ(c->released, "shutdown");
  EXPECT_EQ(t.size(), 0u);
}

}  // namespace
}  // namespace eppb
