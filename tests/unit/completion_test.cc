#include <gtest/gtest.h>

#include "complete/completion_record.h"

namespace eppb {
namespace {

TEST(CompletionRecord, ParsesNginxSyslogDatagram) {
  CompletionRecord r;
  std::string err;
  ASSERT_TRUE(
      ParseCompletionRecord("<190>Nov 26 21:40:00 nginx: epp-completion-v1 id=abc123 status=200 "
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
  for (const char* bad :
       {"", "hello", "epp-completion-v1 ", "epp-completion-v1 id=x", "epp-completion-v1 status=200",
        "epp-completion-v1 id=x status=abc", "epp-completion-v1 id=x status=99",
        "epp-completion-v1 id=- status=200", "epp-completion-v1 id=x status=200 upstream=\"open",
        "epp-completion-v1 id=x status=200 =bad", "epp-completion-v1 id=x\x01y status=200"}) {
    EXPECT_FALSE(ParseCompletionRecord(bad, &r, &err)) << bad;
  }
  EXPECT_FALSE(ParseCompletionRecord(std::string(5000, 'a'), &r, &err));
  // Unknown keys are fine; an unusable upstream just means no served endpoint.
  ASSERT_TRUE(
      ParseCompletionRecord("epp-completion-v1 id=x status=502 upstream=\"-\" new=1", &r, &err));
  EXPECT_FALSE(r.served);
}

}  // namespace
}  // namespace eppb
