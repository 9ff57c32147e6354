#include "h2/grpc_frame_decoder.h"

namespace eppb {

namespace {

void PutPrefix(uint32_t n, char* at) {
  at[0] = 0;  // not compressed
  at[1] = static_cast<char>(n >> 24);
  at[2] = static_cast<char>(n >> 16);
  at[3] = static_cast<char>(n >> 8);
  at[4] = static_cast<char>(n);
}

}  // namespace

void AppendGrpcFrame(std::string_view message, std::string* out) {
  char prefix[GrpcFrameDecoder::kPrefixBytes];
  PutPrefix(static_cast<uint32_t>(message.size()), prefix);
  out->append(prefix, sizeof prefix);
  out->append(message);
}

bool AppendGrpcFrame(const google::protobuf::MessageLite& message, std::string* out) {
  size_t size = message.ByteSizeLong();
  if (size > UINT32_MAX) return false;
  size_t at = out->size();
  out->resize(at + GrpcFrameDecoder::kPrefixBytes + size);
  char* frame = out->data() + at;
  PutPrefix(static_cast<uint32_t>(size), frame);
  auto* body = reinterpret_cast<uint8_t*>(frame + GrpcFrameDecoder::kPrefixBytes);
  if (message.SerializeWithCachedSizesToArray(body) != body + size) {
    out->resize(at);
    return false;
  }
  return true;
}

bool GrpcFrameDecoder::Fail(grpc::StatusCode code, std::string message) {
  failed_ = true;
  error_ = grpc::Status(code, std::move(message));
  prefix_have_ = 0;
  body_.clear();
  body_.shrink_to_fit();
  return false;
}

bool GrpcFrameDecoder::TakePrefix() {
  if (prefix_[0] == 1) {
    // The bridge never offers grpc-encoding, so a compressed message is a peer error.
    return Fail(grpc::StatusCode::INTERNAL, "compressed gRPC message without an agreed encoding");
  }
  if (prefix_[0] != 0) {
    return Fail(grpc::StatusCode::INTERNAL,
                "gRPC message with unknown flags " + std::to_string(prefix_[0]));
  }
  size_t length = (size_t{prefix_[1]} << 24) | (size_t{prefix_[2]} << 16) |
                  (size_t{prefix_[3]} << 8) | size_t{prefix_[4]};
  if (length > max_message_bytes_) {
    // The gRPC C++ transport's code and wording for the same refusal.
    return Fail(grpc::StatusCode::RESOURCE_EXHAUSTED, "Received message larger than max (" +
                                                          std::to_string(length) + " vs. " +
                                                          std::to_string(max_message_bytes_) + ")");
  }
  want_ = length;
  return true;
}

bool GrpcFrameDecoder::Finish() {
  if (failed_) return false;
  if (prefix_have_ != 0) {
    return Fail(grpc::StatusCode::INTERNAL, "the stream ended inside a gRPC message (" +
                                                std::to_string(buffered()) + " bytes of it)");
  }
  return true;
}

}  // namespace eppb
