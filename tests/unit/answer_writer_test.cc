#include "http/answer_writer.h"

#include <gtest/gtest.h>

#include <boost/beast/http/write.hpp>
#include <sstream>
#include <vector>

#include "common/answer_head_size.h"

namespace eppb {
namespace {

TEST(AnswerWriter, PickedAnswerFollowsTheContract) {
  BridgeAnswer a;
  a.outcome = Outcome::kPicked;
  a.status = 200;
  a.endpoints = {{"10.0.0.1", 8000, false}, {"fd00::2", 8001, true}};
  a.headers = {{"x-gateway-model-name", "llama"}};
  a.remove_headers = {"x-a", "x-b"};
  a.body_mutated = true;
  a.body = R"({"model":"b"})";
  auto res = RenderAnswer(std::move(a), 11, true);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res["X-EPP-Outcome"], "picked");
  EXPECT_EQ(res["X-Gateway-Destination-Endpoint"], "10.0.0.1:8000");
  EXPECT_EQ(res["X-EPP-Endpoints"], "10.0.0.1:8000,[fd00::2]:8001");
  EXPECT_EQ(res["X-EPP-Set-x-gateway-model-name"], "llama");
  EXPECT_EQ(res["X-EPP-Remove"], "x-a,x-b");
  EXPECT_EQ(res["X-EPP-Body"], "mutated");
  EXPECT_EQ(res.body(), R"({"model":"b"})");
  EXPECT_EQ(res[boost::beast::http::field::content_length], "13");
  EXPECT_TRUE(res.keep_alive());
}

TEST(AnswerWriter, UnmutatedPickHasEmptyBody) {
  BridgeAnswer a;
  a.outcome = Outcome::kPicked;
  a.status = 200;
  a.endpoints = {{"10.0.0.1", 8000, false}};
  a.body = "ignored";
  auto res = RenderAnswer(std::move(a), 11, false);
  EXPECT_EQ(res["X-EPP-Body"], "original");
  EXPECT_TRUE(res.body().empty());
  EXPECT_FALSE(res.keep_alive());
}

TEST(AnswerWriter, ImmediateAndErrorAnswersAreMarked) {
  BridgeAnswer imm;
  imm.outcome = Outcome::kImmediate;
  imm.status = 429;
  imm.headers = {{"retry-after", "2"}};
  imm.body = "inference error: shed";
  auto r1 = RenderAnswer(std::move(imm), 11, true);
  EXPECT_EQ(r1.result_int(), 429u);
  EXPECT_EQ(r1["X-EPP-Outcome"], "immediate");
  EXPECT_EQ(r1["retry-after"], "2");
  EXPECT_EQ(r1.body(), "inference error: shed");

  auto r2 = RenderAnswer(BridgeAnswer::Fail(Failure::kDeadlineExceeded, "too slow"), 11, true);
  EXPECT_EQ(r2.result_int(), 504u);
  EXPECT_EQ(r2["X-EPP-Outcome"], "error");
  EXPECT_EQ(r2["X-EPP-Error"], "deadline-exceeded");
  EXPECT_EQ(r2.body(), "too slow\n");
}

TEST(AnswerWriter, BodylessStatusesDropTheEppsBody) {
  for (int code : {204, 304}) {
    BridgeAnswer imm;
    imm.outcome = Outcome::kImmediate;
    imm.status = code;
    imm.body = "busy";
    auto res = RenderAnswer(std::move(imm), 11, true);
    EXPECT_EQ(res.result_int(), static_cast<unsigned>(code));
    EXPECT_TRUE(res.body().empty());
    // RFC 9110: no Content-Length on a 204, none that would describe a body on a 304.
    EXPECT_EQ(res.count(boost::beast::http::field::content_length), 0u) << code;
    EXPECT_EQ(res.count(boost::beast::http::field::transfer_encoding), 0u) << code;
  }
}

// The bridge writes RenderHead's text and the body itself; the bytes must be
// what Beast's serializer would have written.
TEST(AnswerWriter, RenderHeadMatchesBeastsSerializer) {
  std::vector<HttpResponse> cases;
  BridgeAnswer pick;
  pick.outcome = Outcome::kPicked;
  pick.status = 200;
  pick.endpoints = {{"10.0.0.1", 8000, false}};
  pick.headers = {{"x-gateway-model-name", "llama"}};
  cases.push_back(RenderAnswer(std::move(pick), 11, true));
  cases.push_back(RenderAnswer(BridgeAnswer::Fail(Failure::kEppUnavailable, "down"), 10, false));
  cases.push_back(RenderAnswer(BridgeAnswer::Fail(Failure::kEppUnavailable, "down"), 10, true));
  BridgeAnswer odd;
  odd.outcome = Outcome::kImmediate;
  odd.status = 599;  // no reason phrase known
  odd.body = "x";
  cases.push_back(RenderAnswer(std::move(odd), 11, true));
  for (const auto& res : cases) {
    std::ostringstream beast;
    beast << res;
    std::string head;
    RenderHead(res, &head);
    EXPECT_EQ(head + res.body(), beast.str());
  }
}

BridgeAnswer Pick(size_t endpoints) {
  BridgeAnswer a;
  a.outcome = Outcome::kPicked;
  a.status = 200;
  for (size_t i = 0; i < endpoints; ++i) {
    a.endpoints.push_back({"127.0.0.1", static_cast<uint16_t>(10000 + i), false});
  }
  return a;
}

// The reply interpreter bounds AnswerHeadBytes; it must never be less than
// what is written.
TEST(AnswerWriter, HeadSizeIsAnUpperBoundOfTheRenderedHead) {
  std::vector<BridgeAnswer> answers;
  BridgeAnswer pick = Pick(3);
  pick.endpoints.push_back({"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, true});
  pick.headers = {{"x-gateway-model-name", "llama"}, {"x-big", std::string(16384, 'v')}};
  pick.remove_headers = {"x-a", std::string(256, 'r')};
  pick.body_mutated = true;
  pick.body = std::string(789, 'b');
  answers.push_back(pick);
  answers.push_back(Pick(1));
  for (int code : {200, 204, 299, 429, 511, 599}) {
    BridgeAnswer imm;
    imm.outcome = Outcome::kImmediate;
    imm.status = code;
    imm.headers = {{"retry-after", "1"}, {"content-type", "text/plain"}};
    imm.body = "x";
    answers.push_back(imm);
  }
  answers.push_back(BridgeAnswer::Fail(Failure::kDeadlineExceeded, "slow"));
  answers.push_back(BridgeAnswer::Fail(Failure::kHeadersTooLarge, "big"));
  for (const auto& a : answers) {
    for (unsigned version : {10u, 11u}) {
      for (bool keep_alive : {true, false}) {
        size_t bound = AnswerHeadBytes(a);
        BridgeAnswer copy = a;
        std::string head;
        RenderHead(RenderAnswer(std::move(copy), version, keep_alive), &head);
        EXPECT_LE(head.size(), bound) << head;
        EXPECT_GT(head.size() + 300, bound) << "the bound should stay close";
      }
    }
  }
}

// RenderAnswerTo writes a pick without Beast; the bytes must be those of
// RenderAnswer's response and RenderHead, for every kind of answer.
TEST(AnswerWriter, RenderAnswerToMatchesTheBeastPath) {
  std::vector<BridgeAnswer> answers;
  answers.push_back(Pick(1));
  BridgeAnswer full = Pick(3);
  full.endpoints.push_back({"fd00::2", 8001, true});
  full.headers = {{"x-gateway-model-name", "llama"}, {"x-a", ""}, {"x-a", "again"}};
  full.remove_headers = {"x-b", "x-c"};
  full.body_mutated = true;
  full.body = R"({"model":"llama"})";
  answers.push_back(full);
  BridgeAnswer unmutated = Pick(2);
  unmutated.body = "the request's body, not written back";
  answers.push_back(unmutated);
  BridgeAnswer emptied = Pick(1);
  emptied.body_mutated = true;  // rewritten to nothing
  answers.push_back(emptied);
  BridgeAnswer imm;
  imm.outcome = Outcome::kImmediate;
  imm.status = 429;
  imm.headers = {{"retry-after", "1"}};
  imm.body = "slow down";
  answers.push_back(imm);
  answers.push_back(BridgeAnswer::Fail(Failure::kDeadlineExceeded, "slow"));
  answers.push_back(Pick(5000));  // too large: the 502 of the Beast path
  for (const auto& a : answers) {
    for (unsigned version : {10u, 11u}) {
      for (bool keep_alive : {true, false}) {
        BridgeAnswer copy = a;
        std::string want_head;
        HttpResponse res = RenderAnswer(std::move(copy), version, keep_alive);
        RenderHead(res, &want_head);
        copy = a;
        std::string head = "stale", body = "stale";
        RenderAnswerTo(std::move(copy), version, keep_alive, &head, &body);
        EXPECT_EQ(head, want_head);
        EXPECT_EQ(body, res.body());
      }
    }
  }
}

// Beast refuses a header value over 65,533 bytes by throwing; RenderAnswer
// runs on the request path and must answer instead.
TEST(AnswerWriter, OversizedAnswerBecomesA502InsteadOfThrowing) {
  BridgeAnswer many = Pick(5000);  // X-EPP-Endpoints alone is about 80 KB
  HttpResponse r1;
  ASSERT_NO_THROW(r1 = RenderAnswer(std::move(many), 11, true));
  EXPECT_EQ(r1.result_int(), 502u);
  EXPECT_EQ(r1["X-EPP-Outcome"], "error");
  EXPECT_EQ(r1["X-EPP-Error"], "epp-answer-too-large");

  BridgeAnswer removals = Pick(1);
  removals.remove_headers.assign(6000, "x-dev-epp-fault");  // X-EPP-Remove past 64 KB
  HttpResponse r2;
  ASSERT_NO_THROW(r2 = RenderAnswer(std::move(removals), 11, true));
  EXPECT_EQ(r2["X-EPP-Error"], "epp-answer-too-large");

  BridgeAnswer value;
  value.outcome = Outcome::kImmediate;
  value.status = 200;
  value.headers = {{"x-huge", std::string(70000, 'v')}};
  HttpResponse r3;
  ASSERT_NO_THROW(r3 = RenderAnswer(std::move(value), 11, true));
  EXPECT_EQ(r3.result_int(), 502u);
  EXPECT_EQ(r3["X-EPP-Error"], "epp-answer-too-large");

  // Whatever else Beast refuses (here a status code it cannot write) is a
  // 502 that closes the connection.
  BridgeAnswer bad_status = Pick(1);
  bad_status.status = 1000;
  HttpResponse r4;
  ASSERT_NO_THROW(r4 = RenderAnswer(std::move(bad_status), 11, true));
  EXPECT_EQ(r4.result_int(), 502u);
  EXPECT_EQ(r4["X-EPP-Error"], "render-failed");
  EXPECT_FALSE(r4.keep_alive());
  std::string head;
  RenderHead(r4, &head);
  EXPECT_NE(head.find("Content-Length: 0\r\n"), std::string::npos) << head;
}

}  // namespace
}  // namespace eppb
