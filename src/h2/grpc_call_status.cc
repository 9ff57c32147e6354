#include "h2/grpc_call_status.h"

#include <charconv>

namespace eppb {

namespace {

constexpr size_t kFieldOverhead = 32;          // RFC 7541 4.1: what a header list counts per field
constexpr size_t kMaxGrpcMessageBytes = 4096;  // grpc-message text kept for the status

std::optional<int> ParseInt(std::string_view text, int max) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 0 || n > max) {
    return std::nullopt;
  }
  return n;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool GrpcCallStatus::BeginBlock() {
  if (refusal_) return false;
  if (++blocks_ > kMaxBlocks) {
    refusal_ = grpc::Status(grpc::StatusCode::INTERNAL, "the EPP sent a third header block");
    return false;
  }
  return true;
}

bool GrpcCallStatus::OnField(std::string_view name, std::string_view value) {
  if (refusal_) return false;
  header_bytes_ += name.size() + value.size() + kFieldOverhead;
  if (header_bytes_ > max_header_bytes_) {
    refusal_ = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            "the EPP's response headers are over the limit of " +
                                std::to_string(max_header_bytes_) + " bytes");
    return false;
  }
  if (name == ":status") {
    if (blocks_ <= 1) http_status_ = ParseInt(value, 999).value_or(0);
  } else if (name == "grpc-status") {
    grpc_status_ = std::string(value);
  } else if (name == "grpc-message") {
    grpc_message_ = PercentDecodeGrpcMessage(value.substr(0, kMaxGrpcMessageBytes));
  }
  return true;
}

bool GrpcCallStatus::HeadersAccepted() const {
  return !refusal_ && http_status_ == 200 && !grpc_status_;
}

grpc::Status GrpcCallStatus::Final() const {
  if (refusal_) return *refusal_;
  if (http_status_ != 200) {
    int http = http_status_.value_or(0);
    return grpc::Status(StatusCodeForHttpStatus(http),
                        "Received http2 header with status: " + std::to_string(http));
  }
  if (!grpc_status_) {
    return grpc::Status(grpc::StatusCode::UNKNOWN, "the EPP ended the call without a grpc-status");
  }
  auto code = ParseInt(*grpc_status_, grpc::StatusCode::UNAUTHENTICATED);
  if (!code) {
    return grpc::Status(grpc::StatusCode::UNKNOWN,
                        "the EPP sent an invalid grpc-status: " + grpc_status_->substr(0, 16));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(*code), grpc_message_);
}

grpc::Status StatusForStreamReset(uint32_t h2_error_code) {
  // The mapping of RFC 7540 error codes gRPC's HTTP/2 transport uses.
  switch (h2_error_code) {
    case 0x8:  // CANCEL
      return grpc::Status(grpc::StatusCode::CANCELLED, "the EPP cancelled the stream");
    case 0x7:  // REFUSED_STREAM
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the EPP refused the stream");
    case 0xb:  // ENHANCE_YOUR_CALM
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "the EPP reset the stream: ENHANCE_YOUR_CALM");
    case 0xc:  // INADEQUATE_SECURITY
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "the EPP reset the stream: INADEQUATE_SECURITY");
    default:
      return grpc::Status(
          grpc::StatusCode::INTERNAL,
          "the EPP reset the stream with HTTP/2 error " + std::to_string(h2_error_code));
  }
}

grpc::StatusCode StatusCodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
      return grpc::StatusCode::INTERNAL;
    case 401:
      return grpc::StatusCode::UNAUTHENTICATED;
    case 403:
      return grpc::StatusCode::PERMISSION_DENIED;
    case 404:
      return grpc::StatusCode::UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return grpc::StatusCode::UNAVAILABLE;
    default:
      return grpc::StatusCode::UNKNOWN;
  }
}

std::string PercentDecodeGrpcMessage(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace eppb
