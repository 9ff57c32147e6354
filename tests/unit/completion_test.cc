#include <gtest/gtest.h>

#include "bridge/held_stream_table.h"
#include "complete/completion_record.h"

namespace eppb {
namespace {

TEST(CompletionRecord, ParsesNginxSyslogDatagram) {
  CompletionRecord r;
  std::string err;
  ASSERT_TRUE(ParseCompletionRecord(
      "<190>Nov 26 21:40:00 nginx: epp-completion-v1 id=abc123 status=200 "
      "upstream=\"127.0.0.1:9, 127.0.0.1:8002\" bytes=512 rt=0.250",
      &r, &err))
      << err;
  EXPECT_EQ(r.request_id, "abc123");
  EXPECT_EQ(r.status, 200);
  ASSERT_TRUE(r.served);
  EXPECT_EQ(r.served->ToString(), "127.0.0.1:8002");  // the fallback that served
  EXPECT_EQ(r.bytes, 512);
  EXPECT_DOUBLE_EQ(r.request_time, 0.25);
}

TEST(CompletionRecord, LastUpstreamFollowsRetriesAndRedirects) {
  EXPECT_EQ(LastUpstream("10.0.0.1:80")->ToString(), "10.0.0.1:80");
  EXPECT_EQ(LastUpstream("10.0.0.1:80, 10.0.0.2:81 : 10.0.0.3:82")->ToString(), "10.0.0.3:82");
  EXPECT_EQ(LastUpstream("[fd00::1]:80")->ToString(), "[fd00::1]:80");
  EXPECT_FALSE(LastUpstream("-"));
  EXPECT_FALSE(LastUpstream("unix:/tmp/x.sock"));
  EXPECT_FALSE(LastUpstream(""));
}

TEST(CompletionRecord, RejectsMalformedRecords) {
  CompletionRecord r;
  std::string err;
  for (const char* bad : {"", "hello", "epp-completion-v1 ", "epp-completion-v1 id=x",
                          "epp-completion-v1 status=200", "epp-completion-v1 id=x status=abc",
                          "epp-completion-v1 id=x status=99", "epp-completion-v1 id=- status=200",
                          "epp-completion-v1 id=x status=200 upstream=\"open",
                          "epp-completion-v1 id=x status=200 =bad",
                          "epp-completion-v1 id=x\x01y status=200"}) {
    EXPECT_FALSE(ParseCompletionRecord(bad, &r, &err)) << bad;
  }
  EXPECT_FALSE(ParseCompletionRecord(std::string(5000, 'a'), &r, &err));
  // Unknown keys are fine; an unusable upstream just means no served endpoint.
  ASSERT_TRUE(ParseCompletionRecord("epp-completion-v1 id=x status=502 upstream=\"-\" new=1", &r,
                                    &err));
  EXPECT_FALSE(r.served);
}

class FakeHeld : public HeldStream {
 public:
  void Complete(const CompletionRecord& r) override { completed = r.request_id; }
  void Release(const char* reason) override { released = reason; }
  std::string completed, released;
};

TEST(HeldStreamTable, MatchesDuplicatesLateAndUnknown) {
  HeldStreamTable t(10);
  auto a = std::make_shared<FakeHeld>();
  t.Hold("a", a);
  CompletionRecord r;
  r.request_id = "a";
  r.status = 200;
  EXPECT_STREQ(t.Complete(r), "matched");
  EXPECT_EQ(a->completed, "a");
  EXPECT_STREQ(t.Complete(r), "duplicate");
  auto b = std::make_shared<FakeHeld>();
  t.Hold("b", b);
  EXPECT_TRUE(t.Remove("b", b.get()));  // its TTL expired
  r.request_id = "b";
  EXPECT_STREQ(t.Complete(r), "late");
  r.request_id = "never";
  EXPECT_STREQ(t.Complete(r), "unknown");
  EXPECT_EQ(t.size(), 0u);
}

TEST(HeldStreamTable, FullTableReleasesTheOldestAndSameIdReplaces) {
  HeldStreamTable t(2);
  auto a = std::make_shared<FakeHeld>(), b = std::make_shared<FakeHeld>(),
       c = std::make_shared<FakeHeld>(), b2 = std::make_shared<FakeHeld>();
  t.Hold("a", a);
  t.Hold("b", b);
  t.Hold("c", c);
  EXPECT_EQ(a->released, "capacity");
  EXPECT_EQ(t.size(), 2u);
  t.Hold("b", b2);
  EXPECT_EQ(b->released, "replaced");
  EXPECT_FALSE(t.Remove("b", b.get()));  // no longer the holder
  t.ReleaseAll("shutdown");
  EXPECT_EQ(b2->released, "shutdown");
  EXPECT_EQ(c->released, "shutdown");
  EXPECT_EQ(t.size(), 0u);
}

}  // namespace
}  // namespace eppb
