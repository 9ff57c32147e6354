// The HTTP/2 transport's gRPC layer, on what an EPP controls: the DATA of a
// stream (length-prefixed messages), the response header and trailer fields,
// and grpc-timeout values.
//
// Input: byte 0 picks the piece size DATA arrives in and byte 1 the message
// limit; the rest is fed to the frame decoder, and read again as header
// fields, one "name:value" per line, with "\n\n" starting the trailers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_checks.h"
#include "h2/grpc_call_status.h"
#include "h2/grpc_frame_decoder.h"
#include "h2/grpc_timeout.h"

using namespace eppb;
using namespace eppb::fuzz;

namespace {

struct Decoded {
  std::vector<std::string> messages;
  bool ok = true;
  bool finished = true;
  int code = 0;
};

Decoded Decode(std::string_view data, size_t piece, size_t limit) {
  GrpcFrameDecoder d(limit);
  Decoded out;
  while (!data.empty() && out.ok) {
    size_t n = std::min(piece, data.size());
    out.ok = d.Feed(data.substr(0, n), [&](std::string_view m) {
      Require(m.size() <= limit, "message over the limit handed out");
      out.messages.emplace_back(m);
    });
    Require(d.buffered() <= limit + GrpcFrameDecoder::kPrefixBytes, "decoder holds over a message");
    data.remove_prefix(n);
  }
  if (out.ok) out.finished = d.Finish();
  Require(out.ok == !d.failed() || !out.finished, "error flag disagrees with the result");
  out.code = d.error().error_code();
  return out;
}

void CheckFrames(std::string_view data, size_t piece, size_t limit) {
  Decoded chunked = Decode(data, piece, limit);
  Decoded whole = Decode(data, data.size() + 1, limit);
  // How DATA is split must not change what is decoded.
  Require(chunked.messages == whole.messages, "split changes the messages");
  Require(
      chunked.ok == whole.ok && chunked.finished == whole.finished && chunked.code == whole.code,
      "split changes the outcome");
  // Clean input re-encodes to exactly itself.
  if (whole.ok && whole.finished) {
    std::string again;
    for (const auto& m : whole.messages) AppendGrpcFrame(m, &again);
    Require(again == data, "messages do not re-encode to the input");
  }
}

void CheckHeaders(std::string_view text) {
  GrpcCallStatus status(1024);
  status.BeginBlock();
  size_t bytes = 0;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line.empty()) {
      status.BeginBlock();
      continue;
    }
    size_t colon = line.find(':', 1);
    std::string_view name = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (status.OnField(name, value)) bytes += name.size() + value.size() + 32;
    Require(status.header_bytes() <= 1024 || status.refusal().has_value(),
            "header bytes past the limit accepted");
  }
  grpc::Status final = status.Final();
  int code = final.error_code();
  Require(code >= 0 && code <= 16, "status code out of range");
  Require(final.error_message().size() <= 8192, "status message unbounded");
  if (status.refusal()) Require(final.error_code() != grpc::StatusCode::OK, "refused yet OK");
  (void)bytes;
}

void CheckTimeout(std::string_view text) {
  auto parsed = ParseGrpcTimeout(text.substr(0, 12));
  if (!parsed) return;
  Require(parsed->count() >= 0, "negative timeout");
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
  std::string again = FormatGrpcTimeout(ms);
  auto back = ParseGrpcTimeout(again);
  Require(back.has_value(), "formatted timeout does not parse", again);
  Require(*back >= ms, "formatted timeout is shorter", again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t piece = 1 + data[0] % 64;
  size_t limit = size_t{data[1]} * 16;
  std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  CheckFrames(rest, piece, limit);
  CheckHeaders(rest);
  CheckTimeout(rest);
  PercentDecodeGrpcMessage(rest);
  return 0;
}
