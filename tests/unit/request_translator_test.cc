#include "http/request_translator.h"

#include <gtest/gtest.h>

namespace eppb {
namespace {

namespace http = boost::beast::http;

RequestTranslator::HttpRequest NgfStyle() {
  RequestTranslator::HttpRequest req{http::verb::post, "/", 11};
  req.set(http::field::host, "gateway.example");
  req.set("X-EPP-Host", "127.0.0.1");
  req.set("X-EPP-Port", "9002");
  req.set("Content-Type", "application/json");
  req.set("Connection", "keep-alive, X-Hop");
  req.set("X-Hop", "1");
  req.set("Transfer-Encoding", "chunked");
  req.set("Authorization", "Bearer t");
  req.body() = R"({"model":"m"})";
  return req;
}

std::string Find(const BridgeRequest& r, const std::string& key) {
  for (const auto& h : r.headers) {
    if (h.key == key) return h.value;
  }
  return "<absent>";
}

TEST(RequestTranslator, NgfRequestBecomesEnvoyStyleHeaders) {
  HttpLimits limits;
  auto req = NgfStyle();
  auto result = RequestTranslator(limits).Translate(req);
  ASSERT_TRUE(std::holds_alternative<BridgeRequest>(result));
  const auto& r = std::get<BridgeRequest>(result);
  EXPECT_EQ(r.target.Key(), "127.0.0.1:9002");
  EXPECT_EQ(r.headers[0].key, ":method");
  EXPECT_EQ(r.headers[0].value, "POST");
  EXPECT_EQ(Find(r, ":path"), "<absent>");  // NGF posts to "/": no made-up :path
  EXPECT_EQ(Find(r, ":authority"), "gateway.example");
  EXPECT_EQ(Find(r, ":scheme"), "http");
  EXPECT_EQ(Find(r, "content-type"), "application/json");
  EXPECT_EQ(Find(r, "authorization"), "Bearer t");
  for (const char* dropped :
       {"host", "connection", "x-hop", "transfer-encoding", "x-epp-host", "x-epp-port"}) {
    EXPECT_EQ(Find(r, dropped), "<absent>") << dropped;
  }
  EXPECT_EQ(r.request_id.size(), 32u);  // generated
  EXPECT_EQ(Find(r, "x-request-id"), r.request_id);
  EXPECT_EQ(Find(r, "content-length"), "13");
  EXPECT_EQ(r.body, R"({"model":"m"})");
}

TEST(RequestTranslator, OriginalRequestHeadersBecomePseudoHeaders) {
  HttpLimits limits;
  auto req = NgfStyle();
  req.set("X-EPP-Method", "PUT");
  req.set("X-EPP-Path", "/v1/chat/completions?api-version=2");
  req.set("X-EPP-Authority", "models.example");
  req.set("X-EPP-Scheme", "https");
  req.set("X-EPP-Subset", "10.0.0.1:8000, 10.0.0.2");
  req.set("X-Request-Id", "abc-123");
  auto result = RequestTranslator(limits).Translate(req);
  const auto& r = std::get<BridgeRequest>(result);
  EXPECT_EQ(Find(r, ":method"), "PUT");
  EXPECT_EQ(Find(r, ":path"), "/v1/chat/completions?api-version=2");
  EXPECT_EQ(Find(r, ":authority"), "models.example");
  EXPECT_EQ(Find(r, ":scheme"), "https");
  EXPECT_EQ(Find(r, "x-request-id"), "abc-123");
  EXPECT_EQ(Find(r, "x-epp-subset"), "<absent>");
  ASSERT_EQ(r.subset.size(), 2u);
  EXPECT_EQ(r.subset[1], "10.0.0.2");
}

TEST(RequestTranslator, BadControlHeadersAreRejectedWithClearStatus) {
  HttpLimits limits;
  limits.allowed_epps.push_back({"10.1.1.1", 0, false});
  struct Case {
    const char* header;
    const char* value;
    int status;
    const char* reason;
  } cases[] = {
      {"X-EPP-Port", "", 400, "missing-epp-port"},
      {"X-EPP-Port", "99999", 400, "invalid-epp-target"},
      {"X-EPP-Host", "bad host", 400, "invalid-epp-target"},
      {"X-EPP-Subset", "x,y", 400, "invalid-subset"},
      {"X-EPP-Scheme", "gopher", 400, "invalid-scheme"},
      {"X-EPP-Path", "no-slash", 400, "invalid-path"},
  };
  for (const auto& c : cases) {
    auto req = NgfStyle();
    req.set("X-EPP-Host", "10.1.1.1");
    req.set(c.header, c.value);
    auto result = RequestTranslator(limits).Translate(req);
    ASSERT_TRUE(std::holds_alternative<BridgeAnswer>(result)) << c.header;
    const auto& a = std::get<BridgeAnswer>(result);
    EXPECT_EQ(a.status, c.status) << c.header;
    EXPECT_EQ(a.error_reason, c.reason) << c.header;
    EXPECT_EQ(a.outcome, Outcome::kRejected);
  }
  auto req = NgfStyle();  // 127.0.0.1 is not in the allowed list
  auto a = std::get<BridgeAnswer>(RequestTranslator(limits).Translate(req));
  EXPECT_EQ(a.status, 403);
  auto dup = NgfStyle();
  dup.insert("X-EPP-Port", "9003");
  EXPECT_EQ(std::get<BridgeAnswer>(RequestTranslator(HttpLimits{}).Translate(dup)).status, 400);
  auto missing = NgfStyle();
  missing.erase("X-EPP-Host");
  EXPECT_EQ(std::get<BridgeAnswer>(RequestTranslator(HttpLimits{}).Translate(missing)).error_reason,
            "missing-epp-host");
}

TEST(RequestTranslator, CompletionKeyIsNginxRequestIdAndNeverForwarded) {
  HttpLimits limits;
  auto req = NgfStyle();
  req.set("X-EPP-Completion-Key", "0123456789abcdef0123456789abcdef");
  req.set("X-Request-Id", "evil id=0123456789abcdef0123456789abcdef");
  auto result = RequestTranslator(limits).Translate(req);
  ASSERT_TRUE(std::holds_alternative<BridgeRequest>(result));
  const auto& r = std::get<BridgeRequest>(result);
  EXPECT_EQ(r.completion_key, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(Find(r, "x-epp-completion-key"), "<absent>");
  // The client's id reaches the EPP untouched; it is not the hold key.
  EXPECT_EQ(r.request_id, "evil id=0123456789abcdef0123456789abcdef");
  EXPECT_EQ(Find(r, "x-request-id"), r.request_id);

  auto none = NgfStyle();  // NGF's own epp.js sends no key: the stream is not held
  auto none_result = RequestTranslator(limits).Translate(none);
  const auto& plain = std::get<BridgeRequest>(none_result);
  EXPECT_EQ(plain.completion_key, "");
}

TEST(RequestTranslator, CompletionKeyOutsideNginxFormatIs400) {
  HttpLimits limits;
  for (const char* bad : {"", "0123456789abcdef0123456789abcde",  // 31
                          "0123456789abcdef0123456789abcdef0",    // 33
                          "0123456789ABCDEF0123456789ABCDEF",     // upper case
                          "0123456789abcdef0123456789abcdeg", "evil id=0123456789abcdef",
                          "0123456789abcdef 123456789abcdef", "\"0123456789abcdef012345678\""}) {
    auto req = NgfStyle();
    req.set("X-EPP-Completion-Key", bad);
    auto result = RequestTranslator(limits).Translate(req);
    ASSERT_TRUE(std::holds_alternative<BridgeAnswer>(result)) << bad;
    const auto& a = std::get<BridgeAnswer>(result);
    EXPECT_EQ(a.status, 400) << bad;
    EXPECT_EQ(a.error_reason, "invalid-completion-key") << bad;
  }
  auto dup = NgfStyle();
  dup.insert("X-EPP-Completion-Key", "0123456789abcdef0123456789abcdef");
  dup.insert("X-EPP-Completion-Key", "fedcba9876543210fedcba9876543210");
  EXPECT_EQ(std::get<BridgeAnswer>(RequestTranslator(limits).Translate(dup)).error_reason,
            "duplicate-control-header");
}

TEST(RequestTranslator, TooManyHeadersIs431) {
  HttpLimits limits;
  limits.max_headers = 8;
  auto req = NgfStyle();
  for (int i = 0; i < 10; ++i) req.insert("x-h" + std::to_string(i), "v");
  EXPECT_EQ(std::get<BridgeAnswer>(RequestTranslator(limits).Translate(req)).status, 431);
}

}  // namespace
}  // namespace eppb
