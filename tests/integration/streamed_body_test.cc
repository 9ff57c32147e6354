// A request body of known length goes to the EPP as it arrives, as Envoy
// streams it: the EPP has the headers and the first chunks while the client
// is still sending. An answer that comes before the body's end (an early
// refusal, a stream that ends) is written once the body is in, so the
// connection stays usable; a caller that leaves mid-body cancels the stream.
#include "stack.h"
#include "support/raw_client.h"

namespace eppb::testing {
namespace {

using testing_support::RawClient;

constexpr size_t kChunk = 16 * 1024;

std::string Head(int epp_port, size_t length, const std::string& extra = "") {
  return "POST /v1/completions HTTP/1.1\r\nHost: bridge\r\nX-EPP-Host: 127.0.0.1\r\n"
         "X-EPP-Port: " +
         std::to_string(epp_port) + "\r\nContent-Type: application/json\r\n" + extra +
         "Content-Length: " + std::to_string(length) + "\r\n\r\n";
}

class StreamedBody : public ::testing::Test {
 protected:
  void SetUp() override {
    epp_ = StartEpp();
    auto o = Plaintext();
    o.chunk_bytes = kChunk;
    o.max_body_bytes = 1 << 20;
    bridge_ = StartBridge(o);
    ASSERT_TRUE(epp_ && bridge_);
  }
  std::unique_ptr<DevEppServer> epp_;
  std::unique_ptr<BridgeServer> bridge_;
};

TEST_F(StreamedBody, TheEppHasTheFirstChunksBeforeTheBodyHasAllArrived) {
  const std::string body(3 * kChunk + 100, 'a');
  RawClient c(bridge_->port());
  ASSERT_TRUE(c.connected());
  size_t before = epp_->service().recorder().total();
  // Two whole chunks and a byte: the bridge can send two chunks now.
  ASSERT_TRUE(c.Write(Head(epp_->port(), body.size()) + body.substr(0, 2 * kChunk + 1)));
  EXPECT_TRUE(Eventually([&] { return epp_->service().body_messages() >= 2; }))
      << "the EPP got " << epp_->service().body_messages() << " body messages";
  EXPECT_EQ(epp_->service().body_messages(), 2u);  // the last whole chunk waits for more
  EXPECT_FALSE(c.Readable(0));                     // no decision before the body's end

  ASSERT_TRUE(c.Write(body.substr(2 * kChunk + 1)));
  RawClient::Response r;
  ASSERT_TRUE(c.Read(&r));
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_FALSE(r["x-gateway-destination-endpoint"].empty());
  ASSERT_TRUE(Eventually([&] { return epp_->service().recorder().total() > before; }));
  auto rec = epp_->service().recorder().Last();
  ASSERT_TRUE(rec);
  // The same messages as a body sent whole: 16 KiB chunks, end_of_stream on the last.
  EXPECT_EQ(rec->body_chunks, 4u);
  EXPECT_EQ(rec->body_bytes, body.size());
  EXPECT_TRUE(rec->body_end_of_stream);
  EXPECT_EQ(rec->messages, 5u);
  ExpectNothingLeft(*epp_, *bridge_);
}

TEST_F(StreamedBody, AnEarlyRefusalIsWrittenAfterTheBodyAndTheConnectionStaysUsable) {
  const std::string body(2 * kChunk, 'b');
  RawClient c(bridge_->port());
  ASSERT_TRUE(c.connected());
  size_t before = epp_->service().recorder().total();
  ASSERT_TRUE(
      c.Write(Head(epp_->port(), body.size(), "x-dev-epp-fault: decide-on-headers,status=429\r\n") +
              body.substr(0, 100)));
  // The EPP refuses on the headers and ends its stream...
  ASSERT_TRUE(Eventually([&] { return epp_->service().recorder().total() > before; }));
  auto rec = epp_->service().recorder().Last();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->immediate_status, 429);
  // ...while the caller still owes most of the body: no answer yet.
  EXPECT_FALSE(c.Readable(100));
  ASSERT_TRUE(c.Write(body.substr(100)));
  RawClient::Response r;
  ASSERT_TRUE(c.Read(&r));
  EXPECT_EQ(r.result_int(), 429);

  // The same connection serves the next request.
  const std::string next(kChunk + 1, 'c');
  ASSERT_TRUE(c.Write(Head(epp_->port(), next.size()) + next));
  ASSERT_TRUE(c.Read(&r));
  EXPECT_EQ(r.result_int(), 200);
  ExpectNothingLeft(*epp_, *bridge_);
}

TEST_F(StreamedBody, AStreamThatEndsBeforeTheBodyIsAnErrorAfterIt) {
  const std::string body(2 * kChunk, 'd');
  RawClient c(bridge_->port());
  ASSERT_TRUE(c.connected());
  size_t before = epp_->service().recorder().total();
  ASSERT_TRUE(
      c.Write(Head(epp_->port(), body.size(), "x-dev-epp-fault: decide-on-headers,grpc-error\r\n") +
              body.substr(0, kChunk + 1)));
  ASSERT_TRUE(Eventually([&] { return epp_->service().recorder().total() > before; }));
  ASSERT_TRUE(c.Write(body.substr(kChunk + 1)));
  RawClient::Response r;
  ASSERT_TRUE(c.Read(&r));
  EXPECT_EQ(r.result_int(), 502);
  EXPECT_EQ(r["x-epp-error"], "grpc-error");
  ExpectNothingLeft(*epp_, *bridge_);
}

TEST_F(StreamedBody, ACallerThatLeavesMidBodyCancelsTheEppStream) {
  const std::string body(4 * kChunk, 'e');
  {
    RawClient c(bridge_->port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.Write(Head(epp_->port(), body.size()) + body.substr(0, 2 * kChunk + 1)));
    ASSERT_TRUE(Eventually([&] { return epp_->service().open_streams() == 1; }));
  }  // hangs up
  ExpectNothingLeft(*epp_, *bridge_);
  auto rec = epp_->service().recorder().Last();
  ASSERT_TRUE(rec);
  EXPECT_FALSE(rec->body_end_of_stream);
}

TEST_F(StreamedBody, RepliesBeforeTheBodysEndAreBounded) {
  // The EPP streams 64 KiB body replies without end from the headers on;
  // the bridge keeps at most max_body_bytes + 1 MiB of them.
  const std::string body(2 * kChunk, 'f');
  RawClient c(bridge_->port());
  ASSERT_TRUE(c.connected());
  size_t before = epp_->service().recorder().total();
  ASSERT_TRUE(c.Write(
      Head(epp_->port(), body.size(), "x-dev-epp-fault: decide-on-headers,endless-body\r\n") +
      body.substr(0, 10)));
  // The bridge gives up on the stream once over the bound.
  EXPECT_TRUE(Eventually([&] { return epp_->service().recorder().total() > before; }));
  ASSERT_TRUE(c.Write(body.substr(10)));
  RawClient::Response r;
  ASSERT_TRUE(c.Read(&r));
  EXPECT_EQ(r.result_int(), 502);
  EXPECT_EQ(r["x-epp-error"], "protocol-violation");
  ExpectNothingLeft(*epp_, *bridge_);
}

}  // namespace
}  // namespace eppb::testing
