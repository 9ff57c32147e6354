// The gRPC message layer of the HTTP/2 transport: framing, grpc-timeout and
// the call status from headers and trailers.
#include <gtest/gtest.h>

#include <vector>

#include "envoy/service/ext_proc/v3/external_processor.pb.h"
#include "h2/grpc_call_status.h"
#include "h2/grpc_frame_decoder.h"
#include "h2/grpc_timeout.h"

namespace eppb {
namespace {

std::string Frame(std::string_view message) {
  std::string out;
  AppendGrpcFrame(message, &out);
  return out;
}

std::vector<std::string> DecodeAll(GrpcFrameDecoder& d, std::string_view data, size_t piece,
                                   bool* ok) {
  std::vector<std::string> out;
  *ok = true;
  while (!data.empty() && *ok) {
    size_t n = std::min(piece, data.size());
    *ok = d.Feed(data.substr(0, n), [&](std::string_view m) { out.emplace_back(m); });
    data.remove_prefix(n);
  }
  return out;
}

TEST(GrpcFrame, PrefixIsFlagAndBigEndianLength) {
  std::string f = Frame(std::string(258, 'x'));
  ASSERT_EQ(f.size(), 263u);
  EXPECT_EQ(f.substr(0, 5), std::string("\0\0\0\x01\x02", 5));
  EXPECT_EQ(Frame(""), std::string(5, '\0'));
}

TEST(GrpcFrame, AMessageSerialisedInPlaceIsTheSameFrameAsItsBytes) {
  envoy::service::ext_proc::v3::ProcessingRequest m;
  m.mutable_request_body()->set_body(std::string(300, 'b'));
  m.mutable_request_body()->set_end_of_stream(true);
  std::string out = "before";
  ASSERT_TRUE(AppendGrpcFrame(m, &out));
  EXPECT_EQ(out, "before" + Frame(m.SerializeAsString()));
  GrpcFrameDecoder d(1 << 20);
  bool ok = false;
  auto messages = DecodeAll(d, std::string_view(out).substr(6), 7, &ok);
  ASSERT_TRUE(ok);
  ASSERT_EQ(messages.size(), 1u);
  envoy::service::ext_proc::v3::ProcessingRequest back;
  ASSERT_TRUE(back.ParseFromString(messages[0]));
  EXPECT_EQ(back.request_body().body(), std::string(300, 'b'));
  EXPECT_TRUE(back.request_body().end_of_stream());
}

TEST(GrpcFrame, DecodesMessagesSplitAtEveryByte) {
  std::string wire = Frame("hello") + Frame("") + Frame(std::string(1000, 'z')) + Frame("end");
  for (size_t piece : {size_t{1}, size_t{2}, size_t{5}, size_t{7}, wire.size()}) {
    GrpcFrameDecoder d(4096);
    bool ok = false;
    auto got = DecodeAll(d, wire, piece, &ok);
    ASSERT_TRUE(ok) << piece;
    ASSERT_EQ(got.size(), 4u) << piece;
    EXPECT_EQ(got[0], "hello");
    EXPECT_EQ(got[1], "");
    EXPECT_EQ(got[2], std::string(1000, 'z'));
    EXPECT_EQ(got[3], "end");
    EXPECT_EQ(d.buffered(), 0u);
    EXPECT_TRUE(d.Finish());
  }
}

TEST(GrpcFrame, RefusesAMessageOverTheLimitFromItsPrefix) {
  GrpcFrameDecoder d(100);
  std::string wire = Frame(std::string(101, 'a'));
  int messages = 0;
  EXPECT_FALSE(d.Feed(wire.substr(0, 5), [&](std::string_view) { ++messages; }));
  EXPECT_EQ(messages, 0);
  EXPECT_EQ(d.error().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(d.error().error_message(), "Received message larger than max (101 vs. 100)");
  EXPECT_EQ(d.buffered(), 0u);
  // Stuck: nothing more is taken.
  EXPECT_FALSE(d.Feed(Frame("ok"), [&](std::string_view) { ++messages; }));
  EXPECT_EQ(messages, 0);
}

TEST(GrpcFrame, AcceptsAMessageOfExactlyTheLimit) {
  GrpcFrameDecoder d(100);
  bool ok = false;
  auto got = DecodeAll(d, Frame(std::string(100, 'a')), 3, &ok);
  EXPECT_TRUE(ok);
  ASSERT_EQ(got.size(), 1u);
}

TEST(GrpcFrame, HugeDeclaredLengthIsRefusedWithoutBuffering) {
  GrpcFrameDecoder d(8 << 20);
  EXPECT_FALSE(d.Feed(std::string_view("\0\xff\xff\xff\xff", 5), [](std::string_view) {}));
  EXPECT_EQ(d.error().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST(GrpcFrame, RefusesCompressedAndUnknownFlags) {
  for (char flag : {'\x01', '\x02', '\x80'}) {
    GrpcFrameDecoder d(100);
    std::string wire = Frame("abc");
    wire[0] = flag;
    EXPECT_FALSE(d.Feed(wire, [](std::string_view) {}));
    EXPECT_EQ(d.error().error_code(), grpc::StatusCode::INTERNAL);
  }
}

TEST(GrpcFrame, EndInsideAMessageIsAnError) {
  GrpcFrameDecoder d(100);
  std::string wire = Frame("abcdef");
  EXPECT_TRUE(d.Feed(wire.substr(0, 8), [](std::string_view) {}));
  EXPECT_EQ(d.buffered(), 8u);
  EXPECT_FALSE(d.Finish());
  EXPECT_EQ(d.error().error_code(), grpc::StatusCode::INTERNAL);

  GrpcFrameDecoder half_prefix(100);
  EXPECT_TRUE(half_prefix.Feed(wire.substr(0, 2), [](std::string_view) {}));
  EXPECT_FALSE(half_prefix.Finish());
}

TEST(GrpcTimeout, FormatsInTheFinestUnitThatFits) {
  using std::chrono::milliseconds;
  EXPECT_EQ(FormatGrpcTimeout(milliseconds(30000)), "30000m");
  EXPECT_EQ(FormatGrpcTimeout(milliseconds(99'999'999)), "99999999m");
  EXPECT_EQ(FormatGrpcTimeout(milliseconds(100'000'000)), "100000S");
  EXPECT_EQ(FormatGrpcTimeout(milliseconds(100'000'001)), "100001S");  // rounded up
  EXPECT_EQ(FormatGrpcTimeout(milliseconds(0)), "0m");
  EXPECT_EQ(FormatGrpcTimeout(milliseconds(-5)), "0m");
  EXPECT_EQ(FormatGrpcTimeout(milliseconds::max()).size() <= 9, true);
}

TEST(GrpcTimeout, ParsesEveryUnitAndRefusesMalformedValues) {
  using namespace std::chrono;
  EXPECT_EQ(ParseGrpcTimeout("30000m"), nanoseconds(milliseconds(30000)));
  EXPECT_EQ(ParseGrpcTimeout("2H"), nanoseconds(hours(2)));
  EXPECT_EQ(ParseGrpcTimeout("3M"), nanoseconds(minutes(3)));
  EXPECT_EQ(ParseGrpcTimeout("4S"), nanoseconds(seconds(4)));
  EXPECT_EQ(ParseGrpcTimeout("5u"), nanoseconds(microseconds(5)));
  EXPECT_EQ(ParseGrpcTimeout("6n"), nanoseconds(6));
  EXPECT_EQ(ParseGrpcTimeout("99999999H"), nanoseconds::max());
  for (auto bad : {"", "m", "123456789m", "12x", "-1m", "1 m", "10"}) {
    EXPECT_FALSE(ParseGrpcTimeout(bad).has_value()) << bad;
  }
  for (auto ms : {1, 999, 30000, 99'999'999, 100'000'001}) {
    auto back = ParseGrpcTimeout(FormatGrpcTimeout(milliseconds(ms)));
    ASSERT_TRUE(back.has_value());
    EXPECT_GE(*back, nanoseconds(milliseconds(ms)));
  }
}

GrpcCallStatus Call(std::initializer_list<std::pair<const char*, const char*>> headers,
                    std::initializer_list<std::pair<const char*, const char*>> trailers,
                    size_t limit = 8192) {
  GrpcCallStatus s(limit);
  s.BeginBlock();
  for (auto& [n, v] : headers) s.OnField(n, v);
  if (trailers.size() > 0) {
    s.BeginBlock();
    for (auto& [n, v] : trailers) s.OnField(n, v);
  }
  return s;
}

TEST(GrpcCallStatus, StatusAndMessageFromTrailers) {
  auto s = Call({{":status", "200"}, {"content-type", "application/grpc"}},
                {{"grpc-status", "14"}, {"grpc-message", "no%20endpoints%3A%25"}});
  auto st = s.Final();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(st.error_message(), "no endpoints:%");
  EXPECT_TRUE(Call({{":status", "200"}}, {{"grpc-status", "0"}}).Final().ok());
}

TEST(GrpcCallStatus, TrailersOnlyResponse) {
  auto s = Call({{":status", "200"}, {"grpc-status", "12"}, {"grpc-message", "nope"}}, {});
  EXPECT_FALSE(s.HeadersAccepted());
  EXPECT_EQ(s.Final().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(s.Final().error_message(), "nope");
  EXPECT_TRUE(Call({{":status", "200"}}, {}).HeadersAccepted());
}

TEST(GrpcCallStatus, HttpStatusWithoutGrpcIsMappedLikeGrpc) {
  EXPECT_EQ(Call({{":status", "503"}}, {}).Final().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call({{":status", "404"}}, {}).Final().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(Call({{":status", "401"}}, {}).Final().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call({{":status", "500"}}, {}).Final().error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(Call({{":status", "x"}}, {}).Final().error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(Call({}, {}).Final().error_code(), grpc::StatusCode::UNKNOWN);
}

TEST(GrpcCallStatus, MissingOrInvalidGrpcStatusIsUnknown) {
  EXPECT_EQ(Call({{":status", "200"}}, {{"x", "y"}}).Final().error_code(),
            grpc::StatusCode::UNKNOWN);
  for (auto bad : {"17", "-1", "abc", "", "0x1", "1000"}) {
    EXPECT_EQ(Call({{":status", "200"}}, {{"grpc-status", bad}}).Final().error_code(),
              grpc::StatusCode::UNKNOWN)
        << bad;
  }
}

TEST(GrpcCallStatus, HeaderBytesAreBounded) {
  GrpcCallStatus s(200);
  ASSERT_TRUE(s.BeginBlock());
  EXPECT_TRUE(s.OnField(":status", "200"));
  EXPECT_FALSE(s.OnField("x-big", std::string(200, 'v')));
  EXPECT_FALSE(s.OnField("grpc-status", "0"));  // refused from then on
  EXPECT_EQ(s.Final().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_FALSE(s.HeadersAccepted());
}

TEST(GrpcCallStatus, AThirdHeaderBlockIsRefused) {
  GrpcCallStatus s(8192);
  EXPECT_TRUE(s.BeginBlock());
  EXPECT_TRUE(s.BeginBlock());
  EXPECT_FALSE(s.BeginBlock());
  EXPECT_EQ(s.Final().error_code(), grpc::StatusCode::INTERNAL);
}

TEST(GrpcCallStatus, StreamResetsMapLikeGrpc) {
  EXPECT_EQ(StatusForStreamReset(0x8).error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(StatusForStreamReset(0x7).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(StatusForStreamReset(0xb).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(StatusForStreamReset(0xc).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(StatusForStreamReset(0x0).error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(StatusForStreamReset(0x2).error_code(), grpc::StatusCode::INTERNAL);
}

TEST(GrpcCallStatus, PercentDecodingLeavesBadEscapes) {
  EXPECT_EQ(PercentDecodeGrpcMessage("a%2"), "a%2");
  EXPECT_EQ(PercentDecodeGrpcMessage("%zz%41"), "%zzA");
  EXPECT_EQ(PercentDecodeGrpcMessage("%"), "%");
  EXPECT_EQ(PercentDecodeGrpcMessage("%e2%9c%93"), "\xe2\x9c\x93");
}

}  // namespace
}  // namespace eppb
