// gRPC's length-prefixed messages on an HTTP/2 stream's DATA: a 1-byte
// compressed flag, a 4-byte big-endian length, then the message. The decoder
// takes DATA in whatever pieces HTTP/2 delivers it and hands out whole
// messages; it never buffers more than one message, and a message longer
// than the limit is refused from its prefix, before any of it is kept.
#pragma once

#include <google/protobuf/message_lite.h>
#include <grpcpp/support/status.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace eppb {

// Appends the 5-byte prefix and `message` to `out` (no compression).
void AppendGrpcFrame(std::string_view message, std::string* out);
// The same for a message serialised straight into `out` (no copy); false
// when it cannot be (larger than a frame can say, or protobuf refuses).
bool AppendGrpcFrame(const google::protobuf::MessageLite& message, std::string* out);

class GrpcFrameDecoder {
 public:
  static constexpr size_t kPrefixBytes = 5;

  explicit GrpcFrameDecoder(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Consumes `data`, calling on_message(std::string_view) for each whole
  // message (the view lives until the call returns). Returns false on the
  // first error, after which the decoder refuses everything; error() says
  // why, in the same codes the gRPC C++ transport uses.
  template <class OnMessage>
  bool Feed(std::string_view data, OnMessage&& on_message);

  // At the end of the stream: an error when a message was cut short.
  bool Finish();

  const grpc::Status& error() const { return error_; }
  bool failed() const { return failed_; }
  // Bytes held for the message being assembled (prefix included).
  size_t buffered() const { return prefix_have_ + body_.size(); }

 private:
  bool Fail(grpc::StatusCode code, std::string message);
  bool TakePrefix();  // a whole prefix is in prefix_: checks it, sets want_

  const size_t max_message_bytes_;
  uint8_t prefix_[kPrefixBytes] = {};
  size_t prefix_have_ = 0;  // bytes of the current prefix seen
  size_t want_ = 0;         // length of the current message, once its prefix is whole
  std::string body_;        // the part of the current message seen so far
  bool failed_ = false;
  grpc::Status error_;
};

template <class OnMessage>
bool GrpcFrameDecoder::Feed(std::string_view data, OnMessage&& on_message) {
  if (failed_) return false;
  while (!data.empty()) {
    if (prefix_have_ < kPrefixBytes) {
      size_t n = std::min(kPrefixBytes - prefix_have_, data.size());
      for (size_t i = 0; i < n; ++i) prefix_[prefix_have_ + i] = static_cast<uint8_t>(data[i]);
      prefix_have_ += n;
      data.remove_prefix(n);
      if (prefix_have_ < kPrefixBytes) return true;
      if (!TakePrefix()) return false;
    }
    size_t need = want_ - body_.size();
    if (body_.empty() && data.size() >= need) {
      // The whole message is in this piece: no copy.
      std::string_view message = data.substr(0, need);
      data.remove_prefix(need);
      prefix_have_ = 0;
      on_message(message);
      continue;
    }
    size_t n = std::min(need, data.size());
    body_.append(data.data(), n);
    data.remove_prefix(n);
    if (body_.size() == want_) {
      prefix_have_ = 0;
      std::string message = std::move(body_);
      body_.clear();
      on_message(std::string_view(message));
    }
  }
  return true;
}

}  // namespace eppb
