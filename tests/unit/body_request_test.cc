#include "http/body_request.h"

#include <gtest/gtest.h>

#include "http/answer_writer.h"

namespace eppb {
namespace {

using Request = boost::beast::http::request<boost::beast::http::string_body>;

BridgeAnswer RewrittenPick() {
  BridgeAnswer a;
  a.outcome = Outcome::kPicked;
  a.status = 200;
  a.endpoints = {{"10.0.0.1", 8000, false}};
  a.body_mutated = true;
  a.body = R"({"model":"b"})";
  return a;
}

TEST(BodyRequest, OnlyTheValueOneAsksForTheBody) {
  Request req;
  EXPECT_FALSE(WantsRewrittenBody(req));
  req.set("x-epp-want-body", "0");
  EXPECT_FALSE(WantsRewrittenBody(req));
  req.set("X-EPP-Want-Body", "yes");
  EXPECT_FALSE(WantsRewrittenBody(req));
  req.set("X-Epp-Want-Body", "1");
  EXPECT_TRUE(WantsRewrittenBody(req));
}

TEST(BodyRequest, UnaskedRewriteSaysMutatedWithoutTheBody) {
  auto a = RewrittenPick();
  KeepRewrittenBodyIfWanted(&a, false);
  auto res = RenderAnswer(std::move(a), 11, true);
  EXPECT_EQ(res["X-EPP-Body"], "mutated");
  EXPECT_EQ(res.body(), "");
  EXPECT_EQ(res[boost::beast::http::field::content_length], "0");
}

TEST(BodyRequest, AskedRewriteCarriesTheBody) {
  auto a = RewrittenPick();
  KeepRewrittenBodyIfWanted(&a, true);
  auto res = RenderAnswer(std::move(a), 11, true);
  EXPECT_EQ(res["X-EPP-Body"], "mutated");
  EXPECT_EQ(res.body(), R"({"model":"b"})");
}

TEST(BodyRequest, OtherAnswersKeepTheirBodies) {
  BridgeAnswer immediate;
  immediate.outcome = Outcome::kImmediate;
  immediate.status = 429;
  immediate.body = "slow down";
  KeepRewrittenBodyIfWanted(&immediate, false);
  EXPECT_EQ(immediate.body, "slow down");
  auto error = BridgeAnswer::Fail(Failure::kEppUnavailable, "no EPP");
  KeepRewrittenBodyIfWanted(&error, false);
  EXPECT_EQ(error.body, "no EPP");
}

}  // namespace
}  // namespace eppb
