#include "http/answer_writer.h"

#include <gtest/gtest.h>

#include <boost/beast/http/write.hpp>
#include <sstream>
#include <vector>

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

  auto r2 = RenderAnswer(BridgeAnswer::Error(504, "deadline-exceeded", "too slow"), 11, true);
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
  cases.push_back(RenderAnswer(BridgeAnswer::Error(503, "epp-unavailable", "down"), 10, false));
  cases.push_back(RenderAnswer(BridgeAnswer::Error(503, "epp-unavailable", "down"), 10, true));
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

}  // namespace
}  // namespace eppb
