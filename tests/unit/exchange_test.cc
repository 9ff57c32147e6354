// The Exchange state machine driven by a scripted stream on an executor the
// test runs by hand: every row of the transition table in exchange.h, and
// the races between the events that reach it from other threads.
#include "bridge/exchange.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <thread>

#include "observe/metrics.h"
#include "scripted_stream.h"
#include "support/metric_value.h"

namespace eppb {
namespace {

using namespace std::chrono_literals;
using testing::BodyEcho;
using testing::PickReply;
using testing::ScriptedClient;
using testing::ScriptedStream;
using testing_support::MetricValue;

class ExchangeTest : public ::testing::Test {
 protected:
  ExchangeTest() {
    config_.deadline = 5s;
    config_.linger = 5s;
    config_.hold_ttl = 5s;
  }

  // The transport ends every stream sooner or later (gRPC after a cancel):
  // that end is what lets go of the exchange the stream reports to.
  void TearDown() override {
    for (auto& s : client_.streams) {
      if (!s->ended) s->End(grpc::Status(grpc::StatusCode::CANCELLED, "test over"));
    }
    Poll();
  }

  std::shared_ptr<Exchange> Make(bool held = false) {
    auto req = std::make_shared<BridgeRequest>();
    std::string err;
    req->target = *EppTarget::Parse("127.0.0.1", "9002", &err);
    req->request_id = "r" + std::to_string(++made_);
    req->headers = {
        {":method", "POST"}, {":path", "/v1/completions"}, {"x-request-id", req->request_id}};
    req->body = "hello";
    req->completion_key = Key(made_);
    if (held && !holds_) holds_.emplace(io_.get_executor(), 16, Metrics::Get());
    return std::make_shared<Exchange>(
        io_.get_executor(), &client_, config_, Metrics::Get(), std::move(req),
        [this](BridgeAnswer a) { answers_.push_back(std::move(a)); }, held ? &*holds_ : nullptr);
  }

  // Runs what is ready now (posted events, expired timers).
  void Poll() {
    io_.restart();
    io_.poll();
  }
  // Runs the executor until `done` or `limit`.
  template <class Pred>
  bool RunUntil(Pred done, std::chrono::milliseconds limit = 3s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      io_.restart();
      io_.run_one_for(5ms);
    }
    return true;
  }
  // Runs until nothing is left to do; true when that took under `limit`,
  // i.e. no timer of a finished exchange was still armed.
  bool RunsDry(std::chrono::milliseconds limit = 1s) {
    auto start = std::chrono::steady_clock::now();
    io_.restart();
    io_.run_for(limit + 1s);
    return io_.stopped() && std::chrono::steady_clock::now() - start < limit;
  }
  ScriptedStream& Stream(size_t i = 0) { return *client_.streams.at(i); }
  void Pick(size_t i = 0) {
    Stream(i).Reply(PickReply("10.0.0.1:8000"));
    Stream(i).Reply(BodyEcho("hello", true));
  }
  // NGINX's $request_id of the n-th exchange made: 32 hex digits.
  static std::string Key(int n) {
    char k[33];
    snprintf(k, sizeof k, "%032x", n);
    return k;
  }
  CompletionRecord Record(int n) {
    CompletionRecord r;
    r.request_id = Key(n);
    r.status = 200;
    std::string err;
    r.served = ParseEndpoint("10.0.0.1:8000", &err);
    return r;
  }

  boost::asio::io_context io_;
  ScriptedClient client_;
  ExchangeConfig config_;
  std::optional<HeldStreamTable> holds_;
  std::vector<BridgeAnswer> answers_;
  int made_ = 0;
};

// kCreated → kWaiting → kClosing → kOver: the request phase goes out, the
// decision is answered on the executor (not on the replying thread), the
// stream is half-closed, and the EPP's end leaves nothing armed.
TEST_F(ExchangeTest, PickHalfClosesAndTheEppEndsTheStream) {
  auto ex = Make();
  ex->Start();
  ASSERT_EQ(Stream().sent.size(), 2u);
  EXPECT_TRUE(Stream().sent[0].has_request_headers());
  EXPECT_TRUE(Stream().sent[1].request_body().end_of_stream());
  Pick();
  EXPECT_TRUE(answers_.empty()) << "replies are handled on the strand, not where they arrive";
  Poll();
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].outcome, Outcome::kPicked);
  EXPECT_EQ(answers_[0].endpoints.at(0).ToString(), "10.0.0.1:8000");
  EXPECT_TRUE(Stream().half_closed);
  EXPECT_FALSE(Stream().cancelled);
  Stream().End();
  EXPECT_TRUE(RunsDry());
  EXPECT_FALSE(Stream().cancelled);
  EXPECT_FALSE(ex->Abort()) << "answered: nothing to abort";
}

// any → kOver by Abort, while the decisive replies are already posted.
TEST_F(ExchangeTest, ReplyRacingAbortNeverAnswers) {
  auto ex = Make();
  ex->Start();
  Pick();  // on their way to the strand
  EXPECT_TRUE(ex->Abort());
  Poll();
  EXPECT_TRUE(answers_.empty());
  EXPECT_TRUE(Stream().cancelled);
  Stream().End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  EXPECT_TRUE(RunsDry());
  EXPECT_TRUE(answers_.empty());
}

// kWaiting → kOver: the stream fails inside Start, before it returns; the
// end is handled after Start, and the request phase is dropped.
TEST_F(ExchangeTest, StreamFailingBeforeStartReturns) {
  client_.fail_at_start = grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused");
  auto ex = Make();
  ex->Start();
  EXPECT_TRUE(answers_.empty());
  EXPECT_TRUE(Stream().sent.empty());
  Poll();
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].status, 503);
  EXPECT_EQ(answers_[0].error_reason, "epp-unavailable");
  EXPECT_TRUE(RunsDry());
}

// kWaiting → kOver: a refused start answers at once.
TEST_F(ExchangeTest, RefusedStartAnswersAtOnce) {
  client_.refuse = ExtProcClient::Refusal::kNotServing;
  auto ex = Make();
  ex->Start();
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].status, 503);
  EXPECT_EQ(answers_[0].error_reason, "epp-not-serving");
  EXPECT_TRUE(RunsDry());
}

// kWaiting → kOver by the deadline; the late decision is dropped.
TEST_F(ExchangeTest, DeadlineBeatsALateReply) {
  config_.deadline = 30ms;
  auto ex = Make();
  ex->Start();
  ASSERT_TRUE(RunUntil([&] { return !answers_.empty(); }));
  EXPECT_EQ(answers_[0].status, 504);
  EXPECT_TRUE(Stream().cancelled);
  Pick();
  Poll();
  EXPECT_EQ(answers_.size(), 1u);
}

// The deadline's expiry and the decision become ready together: exactly one
// wins, and the stream is treated as that winner says.
TEST_F(ExchangeTest, DeadlineAgainstAReplyAnswersOnce) {
  config_.deadline = 20ms;
  auto ex = Make();
  ex->Start();
  std::this_thread::sleep_for(40ms);  // the timer is due, its handler not run
  Pick();
  Poll();
  ASSERT_TRUE(RunUntil([&] { return !answers_.empty(); }));
  Poll();
  ASSERT_EQ(answers_.size(), 1u);
  bool picked = answers_[0].outcome == Outcome::kPicked;
  EXPECT_EQ(Stream().cancelled, !picked);
  EXPECT_EQ(Stream().half_closed, picked);
}

// kClosing → kOver by linger expiry: an EPP that ignores the half-close is
// cancelled at --linger-ms.
TEST_F(ExchangeTest, LingerExpiryCancelsAStreamTheEppKeepsOpen) {
  config_.linger = 30ms;
  double before = MetricValue("epp_bridge_linger_expired_total");
  auto ex = Make();
  ex->Start();
  Pick();
  Poll();
  ASSERT_TRUE(Stream().half_closed);
  ASSERT_TRUE(RunUntil([&] { return Stream().cancelled; }));
  EXPECT_EQ(MetricValue("epp_bridge_linger_expired_total"), before + 1);
  Stream().End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  EXPECT_TRUE(RunsDry());
}

// kWaiting → kHeld → kClosing: the completion record sends the response
// phase with the half-close.
TEST_F(ExchangeTest, HeldStreamGetsTheResponsePhase) {
  auto ex = Make(true);
  ex->Start();
  Pick();
  Poll();
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_FALSE(Stream().half_closed);
  EXPECT_EQ(holds_->size(), 1u);
  EXPECT_STREQ(holds_->Complete(Record(1)), "matched");
  Poll();
  ASSERT_EQ(Stream().sent.size(), 3u);
  const auto& last = Stream().sent.back();
  ASSERT_TRUE(last.has_response_headers());
  EXPECT_TRUE(last.response_headers().end_of_stream());
  EXPECT_EQ(last.response_headers().headers().headers(0).raw_value(), "200");
  EXPECT_TRUE(Stream().half_closed);
  Stream().End();
  EXPECT_TRUE(RunsDry());
}

// kHeld → kOver: the EPP ends a held stream; the table forgets it and no
// timer stays armed.
TEST_F(ExchangeTest, EppClosingWhileHeld) {
  double before = MetricValue("epp_bridge_held_stream_ends_total{reason=\"epp_closed\"}");
  auto ex = Make(true);
  ex->Start();
  Pick();
  Poll();
  ASSERT_EQ(holds_->size(), 1u);
  Stream().End();
  Poll();
  EXPECT_EQ(holds_->size(), 0u);
  EXPECT_FALSE(Stream().cancelled);
  EXPECT_EQ(MetricValue("epp_bridge_held_stream_ends_total{reason=\"epp_closed\"}"), before + 1);
  EXPECT_STREQ(holds_->Complete(Record(1)), "late");
  EXPECT_TRUE(RunsDry());
}

// kHeld → kClosing by the hold TTL; the record that comes later is late
// and sends nothing.
TEST_F(ExchangeTest, HoldTtlClosesAndALaterRecordIsLate) {
  config_.hold_ttl = 30ms;
  auto ex = Make(true);
  ex->Start();
  Pick();
  Poll();
  ASSERT_TRUE(RunUntil([&] { return Stream().half_closed; }));
  Poll();
  EXPECT_EQ(holds_->size(), 0u);
  size_t sent = Stream().sent.size();
  EXPECT_STREQ(holds_->Complete(Record(1)), "late");
  ex->Complete(Record(1));
  Poll();
  EXPECT_EQ(Stream().sent.size(), sent);
}

// kHeld → kClosing by release; a record arriving after it is dropped.
TEST_F(ExchangeTest, RecordArrivingAfterReleaseIsDropped) {
  auto ex = Make(true);
  ex->Start();
  Pick();
  Poll();
  holds_->ReleaseAll("shutdown");
  io_.restart();
  io_.run_one();            // the table releases: the exchange's release is posted
  ex->Complete(Record(1));  // and the record comes after it
  Poll();
  EXPECT_TRUE(Stream().half_closed);
  EXPECT_EQ(Stream().sent.size(), 2u) << "no response phase after the release";
  EXPECT_EQ(holds_->size(), 0u);
  EXPECT_STREQ(holds_->Complete(Record(1)), "unknown");
}

// A full table releases its oldest held stream.
TEST_F(ExchangeTest, FullTableReleasesTheOldestHold) {
  holds_.emplace(io_.get_executor(), 1, Metrics::Get());
  auto a = Make(true), b = Make(true);
  a->Start();
  b->Start();
  Pick(0);
  Poll();
  Pick(1);
  Poll();
  EXPECT_TRUE(Stream(0).half_closed);
  EXPECT_FALSE(Stream(1).half_closed);
  EXPECT_EQ(holds_->size(), 1u);
}

// Shutdown: held streams are released, then every stream is cancelled
// (the lingering one too), and nothing stays armed once they end.
TEST_F(ExchangeTest, ShutdownWithHeldAndLingeringStreams) {
  config_.linger = 10s;
  config_.hold_ttl = 10s;
  holds_.emplace(io_.get_executor(), 16, Metrics::Get());
  auto held = Make(true);
  auto lingering = Make(false);
  held->Start();
  lingering->Start();
  Pick(0);
  Pick(1);
  Poll();
  ASSERT_EQ(answers_.size(), 2u);
  ASSERT_FALSE(Stream(0).half_closed);
  ASSERT_TRUE(Stream(1).half_closed);
  holds_->ReleaseAll("shutdown");
  Poll();
  EXPECT_TRUE(Stream(0).half_closed);
  client_.CancelAll();
  EXPECT_TRUE(Stream(0).cancelled);
  EXPECT_TRUE(Stream(1).cancelled);
  Stream(0).End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  Stream(1).End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  EXPECT_TRUE(RunsDry()) << "a finished exchange left its linger or hold timer armed";
}

// A decision the EPP's rules refuse ends the stream at once.
TEST_F(ExchangeTest, ErrorDecisionCancels) {
  auto ex = Make();
  ex->Start();
  Stream().Reply(PickReply("not-an-endpoint"));
  Stream().Reply(BodyEcho("hello", true));
  Poll();
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].outcome, Outcome::kError);
  EXPECT_TRUE(Stream().cancelled);
}

}  // namespace
}  // namespace eppb
