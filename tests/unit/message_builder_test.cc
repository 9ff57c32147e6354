#include "extproc/message_builder.h"

#include <gtest/gtest.h>

#include <thread>

namespace eppb {
namespace {

using envoy::extensions::filters::http::ext_proc::v3::ProcessingMode;

BridgeRequest Sample(std::string body) {
  BridgeRequest r;
  r.headers = {{":method", "POST"}, {":path", "/v1/chat/completions?x=1"}, {"x-request-id", "id1"}};
  r.body = std::move(body);
  return r;
}

std::vector<extproc::ProcessingRequest> BuildAll(const BridgeRequest& r, size_t chunk) {
  std::vector<extproc::ProcessingRequest> out;
  MessageBuilder(chunk).Build(r, [&](const auto& m) { out.push_back(m); });
  return out;
}

TEST(MessageBuilder, FirstMessageCarriesProtocolConfigAndRawValues) {
  auto msgs = BuildAll(Sample("abc"), 64);
  ASSERT_EQ(msgs.size(), 2u);
  const auto& first = msgs[0];
  ASSERT_TRUE(first.has_protocol_config());
  EXPECT_EQ(first.protocol_config().request_body_mode(), ProcessingMode::FULL_DUPLEX_STREAMED);
  EXPECT_EQ(first.protocol_config().response_body_mode(), ProcessingMode::FULL_DUPLEX_STREAMED);
  ASSERT_TRUE(first.has_request_headers());
  EXPECT_FALSE(first.request_headers().end_of_stream());
  const auto& h = first.request_headers().headers().headers();
  ASSERT_EQ(h.size(), 3);
  EXPECT_EQ(h[1].key(), ":path");
  EXPECT_EQ(h[1].raw_value(), "/v1/chat/completions?x=1");
  EXPECT_TRUE(h[1].value().empty());
  EXPECT_FALSE(msgs[1].has_protocol_config());
}

TEST(MessageBuilder, ChunksTheBodyAndMarksTheLastChunk) {
  std::string body(10, 'x');
  auto msgs = BuildAll(Sample(body), 4);
  ASSERT_EQ(msgs.size(), 4u);  // headers + 4 + 4 + 2
  EXPECT_EQ(msgs[1].request_body().body(), "xxxx");
  EXPECT_FALSE(msgs[1].request_body().end_of_stream());
  EXPECT_EQ(msgs[3].request_body().body(), "xx");
  EXPECT_TRUE(msgs[3].request_body().end_of_stream());
}

TEST(MessageBuilder, NoBodyMeansHeadersEndOfStream) {
  auto msgs = BuildAll(Sample(""), 4);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(msgs[0].request_headers().end_of_stream());
}

TEST(MessageBuilder, SubsetHintRidesOnEveryMessage) {
  auto r = Sample("0123456789");
  r.subset = {"10.0.0.1:8000", "10.0.0.2"};
  auto msgs = BuildAll(r, 5);
  ASSERT_EQ(msgs.size(), 3u);
  for (const auto& m : msgs) {
    const auto& fm = m.metadata_context().filter_metadata();
    auto ns = fm.find("envoy.lb.subset_hint");
    ASSERT_NE(ns, fm.end());
    const auto& list = ns->second.fields().at("x-gateway-destination-endpoint-subset").list_value();
    ASSERT_EQ(list.values_size(), 2);
    EXPECT_EQ(list.values(0).string_value(), "10.0.0.1:8000");
  }
}

TEST(MessageBuilder, ABodyThatArrivesInPiecesIsCutAsAWholeOne) {
  auto r = Sample(std::string(10, 'y'));
  r.subset = {"10.0.0.1"};
  for (size_t n : {1u, 3u, 4u, 5u, 8u, 9u}) {  // bytes per arrival
    std::vector<extproc::ProcessingRequest> got;
    auto sink = [&](const auto& m) { got.push_back(m); };
    MessageBuilder b(4);
    b.Headers(r, false, sink);
    size_t sent = 0;
    for (size_t in = n; in < r.body.size(); in += n) {
      b.Body(r, std::string_view(r.body).substr(0, in), &sent, false, sink);
      EXPECT_LT(sent, in) << "a byte stays back for the last chunk";
    }
    b.Body(r, r.body, &sent, true, sink);
    auto whole = BuildAll(r, 4);
    ASSERT_EQ(got.size(), whole.size()) << n << " bytes per arrival";
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].SerializeAsString(), whole[i].SerializeAsString()) << "message " << i;
    }
  }
}

// A thread reuses its headers message: what one request left in it (more
// headers, a subset hint, values past the kept size) never shows in the next.
TEST(MessageBuilder, TheNextRequestOnAThreadCarriesNothingOfTheLast) {
  auto small = Sample("");
  auto large = Sample("body");
  large.subset = {"10.0.0.1:8000"};
  for (int i = 0; i < 40; ++i) large.headers.push_back({"x-h" + std::to_string(i), "v"});
  auto huge = Sample("");
  huge.headers.push_back({"x-big", std::string(64 * 1024, 'b')});
  auto headers_of = [](const BridgeRequest& r) {
    std::string bytes;
    MessageBuilder(64).Headers(r, r.body.empty(),
                               [&](const auto& m) { bytes = m.SerializeAsString(); });
    return bytes;
  };
  std::string fresh_small, fresh_large;
  std::thread([&] { fresh_small = headers_of(small); }).join();  // a thread's first request
  std::thread([&] { fresh_large = headers_of(large); }).join();
  for (const auto* before : {&large, &huge, &small}) {
    headers_of(*before);
    EXPECT_EQ(headers_of(small), fresh_small);
  }
  headers_of(huge);
  EXPECT_EQ(headers_of(large), fresh_large);
  EXPECT_NE(fresh_small, fresh_large);
}

// A sink that builds another request's headers while it holds the first
// (not something the bridge does) still gets both whole.
TEST(MessageBuilder, ASinkThatBuildsAgainGetsItsOwnMessage) {
  auto outer = Sample("");
  auto inner = Sample("x");
  inner.headers.push_back({"x-inner", "1"});
  MessageBuilder b(64);
  std::string inner_bytes, outer_bytes;
  b.Headers(outer, true, [&](const auto& m) {
    b.Headers(inner, false, [&](const auto& n) { inner_bytes = n.SerializeAsString(); });
    outer_bytes = m.SerializeAsString();
  });
  extproc::ProcessingRequest o, i;
  ASSERT_TRUE(o.ParseFromString(outer_bytes));
  ASSERT_TRUE(i.ParseFromString(inner_bytes));
  EXPECT_EQ(o.request_headers().headers().headers_size(), 3);
  EXPECT_TRUE(o.request_headers().end_of_stream());
  EXPECT_EQ(i.request_headers().headers().headers_size(), 4);
  EXPECT_FALSE(i.request_headers().end_of_stream());
  EXPECT_TRUE(i.has_protocol_config());
}

}  // namespace
}  // namespace eppb
