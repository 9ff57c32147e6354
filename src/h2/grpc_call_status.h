// What a gRPC call's response headers and trailers say, as the grpc::Status
// the gRPC C++ transport would report for them.
//
// One per stream. The transport feeds it every header field of the response
// (the initial headers, then the trailers, or a single trailers-only block)
// and asks Final() once the stream has ended. Every field counts against
// `max_header_bytes` (name + value + 32, as HTTP/2 counts a header list); a
// block past the limit makes the call fail with RESOURCE_EXHAUSTED.
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eppb {

class GrpcCallStatus {
 public:
  static constexpr size_t kMaxBlocks = 2;  // headers, trailers

  explicit GrpcCallStatus(size_t max_header_bytes) : max_header_bytes_(max_header_bytes) {}

  // A new header block begins (HEADERS frame). False past the second block.
  bool BeginBlock();
  // One field of the current block. False once the call is refused (over the
  // size limit, or a block too many): the transport resets the stream.
  bool OnField(std::string_view name, std::string_view value);
  // The initial headers are whole: true when they allow reading messages
  // (HTTP 200 and no trailers-only grpc-status yet).
  bool HeadersAccepted() const;

  // The call's status once the stream ended with END_STREAM.
  grpc::Status Final() const;
  // Why the call failed early (refusal above), when it did.
  const std::optional<grpc::Status>& refusal() const { return refusal_; }

  size_t header_bytes() const { return header_bytes_; }

 private:
  const size_t max_header_bytes_;
  size_t header_bytes_ = 0;
  size_t blocks_ = 0;
  std::optional<int> http_status_;  // :status of the first block
  std::optional<std::string> grpc_status_;
  std::string grpc_message_;
  std::optional<grpc::Status> refusal_;
};

// The status of a stream the peer reset with RST_STREAM `h2_error_code`
// before it sent a grpc-status.
grpc::Status StatusForStreamReset(uint32_t h2_error_code);

// The gRPC code for a non-200 HTTP status without grpc-status.
grpc::StatusCode StatusCodeForHttpStatus(int http_status);

// grpc-message is percent-encoded; undoes it (bad escapes stay as they are).
std::string PercentDecodeGrpcMessage(std::string_view text);

}  // namespace eppb
