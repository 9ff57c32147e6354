#include <gtest/gtest.h>

#include <vector>

#include "complete/completion_record.h"

namespace eppb {
namespace {

constexpr const char* kKey = "0123456789abcdef0123456789abcdef";
constexpr const char* kVictim = "fedcba9876543210fedcba9876543210";

std::string Record(const std::string& fields) {
  return std::string("<190>Nov 26 21:40:00 epp: epp-completion-v2 ") + fields;
}

TEST(CompletionRecord, ParsesNginxSyslogDatagram) {
  CompletionRecord r;
  std::string err;
  ASSERT_TRUE(ParseCompletionRecord(
      Record(std::string("key=") + kKey +
             " status=200 upstream=\"127.0.0.1:9, 127.0.0.1:8002\" bytes=512 rt=0.250"),
      &r, &err))
      << err;
  EXPECT_EQ(r.request_id, kKey);
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
  EXPECT_FALSE(LastUpstream("10.0.0.1:80\\x22 key=x"));
  EXPECT_FALSE(LastUpstream(std::string(2000, '1')));
}

TEST(CompletionRecord, RejectsMalformedRecords) {
  CompletionRecord r;
  std::string err;
  const std::string k = std::string("key=") + kKey;
  for (const std::string& bad : std::vector<std::string>{
           "", "hello", "epp-completion-v2 ", "epp-completion-v2 " + k,
           "epp-completion-v2 status=200", "epp-completion-v2 " + k + " status=abc",
           "epp-completion-v2 " + k + " status=99", "epp-completion-v2 " + k + " status=2000",
           "epp-completion-v2 " + k + " status=200 upstream=\"open",
           "epp-completion-v2 " + k + " status=200 =bad",
           "epp-completion-v2 " + k + " status=200 upstream=\"a\"b",
           "epp-completion-v2 " + k + "  status=200",
           "epp-completion-v2 " + k + " status=200\x01"}) {
    EXPECT_FALSE(ParseCompletionRecord(bad, &r, &err)) << bad;
  }
  EXPECT_FALSE(ParseCompletionRecord(std::string(5000, 'a'), &r, &err));
  // Other fields are fine; an unusable upstream just means no served endpoint.
  ASSERT_TRUE(ParseCompletionRecord("epp-completion-v2 " + k + " status=502 upstream=\"-\" new=1",
                                    &r, &err))
      << err;
  EXPECT_FALSE(r.served);
}

TEST(CompletionRecord, KeyMustBeFirstAndInNginxFormat) {
  CompletionRecord r;
  std::string err;
  for (const std::string& key : std::vector<std::string>{
           "", "-", "abc123", "0123456789abcdef0123456789abcde",  // 31 digits
           "0123456789abcdef0123456789abcdef0",                   // 33
           "0123456789ABCDEF0123456789ABCDEF",                    // upper case
           "0123456789abcdef0123456789abcdeg", "\"0123456789abcdef0123456789abcdef\"",
           "evil\\x20id=0123456789abcdef0123456789abcdef"}) {
    EXPECT_FALSE(ParseCompletionRecord(Record("key=" + key + " status=200"), &r, &err)) << key;
  }
  // The key has to open the record.
  EXPECT_FALSE(ParseCompletionRecord(Record(std::string("status=200 key=") + kKey), &r, &err));
  EXPECT_FALSE(ParseCompletionRecord(Record(std::string("id=") + kKey + " status=200"), &r, &err));
}

TEST(CompletionRecord, InjectedOrRepeatedFieldsAreRejected) {
  CompletionRecord r;
  std::string err;
  const std::string k = std::string("key=") + kKey;
  // A second key (or a v1 id) cannot redirect the record to another stream.
  for (const std::string& bad :
       std::vector<std::string>{k + " key=" + kVictim + " status=200",
                                k + " status=200 key=" + kVictim, k + " status=200 status=500",
                                k + " status=200 upstream=\"10.0.0.1:80\" upstream=\"10.0.0.2:80\"",
                                k + " status=200 extra=1 extra=2"}) {
    EXPECT_FALSE(ParseCompletionRecord(Record(bad), &r, &err)) << bad;
    EXPECT_NE(r.request_id, kVictim) << bad;
  }
  // An id= field (the v1 key) is just an unknown field now: the record keeps its own key.
  ASSERT_TRUE(ParseCompletionRecord(Record(k + " status=200 id=" + kVictim), &r, &err)) << err;
  EXPECT_EQ(r.request_id, kKey);
}

TEST(CompletionRecord, VersionOneRecordsAreRefused) {
  CompletionRecord r;
  std::string err;
  EXPECT_FALSE(ParseCompletionRecord(
      "<190>Nov 26 21:40:00 nginx: epp-completion-v1 id=evil id=victim status=200", &r, &err));
  EXPECT_NE(err.find("v1"), std::string::npos) << err;
}

}  // namespace
}  // namespace eppb
