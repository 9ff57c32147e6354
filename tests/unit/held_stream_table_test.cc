// The held-stream table on its loop (here: an io_context the test runs).
#include "complete/held_stream_table.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

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
  EXPECT_EQ(t.size(), 0u) << "off its loop, Hold posts to it";
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

// On its own loop a table holds and removes at once, with no post.
TEST_F(HeldStreamTableTest, OnItsLoopHoldAndRemoveNeedNoPost) {
  HeldStreamTable t(io_.get_executor(), 10, Metrics::Get());
  auto a = std::make_shared<FakeHeld>();
  boost::asio::post(io_, [&] {
    t.Hold("a", a);
    EXPECT_EQ(t.size(), 1u);
    t.Remove("a", a.get());
    EXPECT_EQ(t.size(), 0u);
  });
  Poll();
  CompletionRecord r;
  r.request_id = "a";
  EXPECT_STREQ(t.Complete(r), "late");
}

// A record the first table has never seen goes on to the next one, which
// decides it; one the first table knows stops there.
TEST_F(HeldStreamTableTest, ARecordGoesOnToTheTableThatHoldsItsStream) {
  HeldStreamTable second(io_.get_executor(), 10, Metrics::Get());
  HeldStreamTable first(io_.get_executor(), 10, Metrics::Get(), &second);
  auto a = std::make_shared<FakeHeld>(), b = std::make_shared<FakeHeld>();
  first.Hold("a", a);
  second.Hold("b", b);
  Poll();
  CompletionRecord r;
  r.request_id = "b";
  EXPECT_STREQ(first.Complete(r), "passed");
  EXPECT_EQ(b->completed, "") << "not yet: the next table runs it on its loop";
  Poll();
  EXPECT_EQ(b->completed, "b");
  EXPECT_EQ(second.size(), 0u);
  EXPECT_STREQ(first.Complete(r), "passed");  // the duplicate is the second's to tell
  EXPECT_STREQ(second.Complete(r), "duplicate");
  r.request_id = "a";
  EXPECT_STREQ(first.Complete(r), "matched");
  EXPECT_STREQ(first.Complete(r), "duplicate");
  r.request_id = "nobody";
  EXPECT_STREQ(first.Complete(r), "passed");
  EXPECT_STREQ(second.Complete(r), "unknown");
  Poll();
}

}  // namespace
}  // namespace eppb
