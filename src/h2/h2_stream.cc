#include "h2/h2_stream.h"

#include <nghttp2/nghttp2.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "common/defaults.h"
#include "h2/h2_connection.h"
#include "observe/entry_guard.h"

namespace eppb {

namespace asio = boost::asio;

H2Stream::H2Stream(H2Executor loop, std::shared_ptr<ExtProcStreamCallbacks> callbacks,
                   std::chrono::milliseconds lifetime, const H2ClientOptions& options, OnEnd on_end)
    : loop_(loop),
      callbacks_(std::move(callbacks)),
      lifetime_(lifetime),
      on_end_(std::move(on_end)),
      timer_(loop),
      path_(std::string("/") + kExtProcService + "/Process"),
      max_replay_bytes_(options.max_replay_bytes),
      decoder_(options.max_receive_bytes),
      call_(options.max_header_bytes) {}

void H2Stream::Send(const extproc::ProcessingRequest& message) { SendOnLoop(message, false); }

void H2Stream::SendLast(const extproc::ProcessingRequest& message) { SendOnLoop(message, true); }

void H2Stream::SendOnLoop(const extproc::ProcessingRequest& message, bool last) {
  if (loop_.running_in_this_thread()) {
    Guarded("h2-send", [&] { DoSend(message, last); });
    return;
  }
  asio::post(loop_, [self = shared_from_this(), m = extproc::ProcessingRequest(message), last] {
    Guarded("h2-send", [&] { self->DoSend(m, last); });
  });
}

void H2Stream::Close() {
  asio::dispatch(loop_,
                 [self = shared_from_this()] { Guarded("h2-close", [&] { self->DoClose(); }); });
}

void H2Stream::Cancel() {
  asio::dispatch(loop_,
                 [self = shared_from_this()] { Guarded("h2-cancel", [&] { self->DoCancel(); }); });
}

void H2Stream::PrepareUnary(std::string path, const std::string& request, RawReply on_reply) {
  path_ = std::move(path);
  raw_reply_ = std::move(on_reply);
  AppendGrpcFrame(request, &out_);
  close_wanted_ = true;
}

void H2Stream::Arm() {
  if (armed_) return;
  armed_ = true;
  timer_.expires_after(lifetime_);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->done_) return;
    Guarded("h2-deadline", [&] {
      self->EndLocally(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"));
    });
  });
}

void H2Stream::Attach(H2Connection* connection, int32_t id) {
  connection_ = connection;
  id_ = id;
}

void H2Stream::DoSend(const extproc::ProcessingRequest& message, bool last) {
  if (done_ || close_wanted_) return;
  if (!AppendGrpcFrame(message, &out_)) {
    return EndLocally(grpc::Status(grpc::StatusCode::INTERNAL, "could not serialize a message"));
  }
  if (keep_sent_ && out_.size() > max_replay_bytes_) DropSent();
  close_wanted_ = last;
  if (connection_) {
    connection_->ResumeData(id_);
    connection_->FlushSoon();
  }
}

void H2Stream::DoClose() {
  if (done_ || close_wanted_) return;
  close_wanted_ = true;
  if (connection_) {
    connection_->ResumeData(id_);
    connection_->FlushSoon();
  }
}

void H2Stream::DoCancel() {
  if (done_) return;
  EndLocally(grpc::Status(grpc::StatusCode::CANCELLED, "Cancelled"));
}

size_t H2Stream::ReadOut(uint8_t* out, size_t size, bool* eof) {
  size_t n = std::min(size, out_.size() - out_taken_);
  std::copy_n(out_.data() + out_taken_, n, out);
  out_taken_ += n;
  if (out_taken_ == out_.size()) {
    // Everything handed over: free the buffer (it may have held a large
    // body) unless it is kept for a replay.
    if (!keep_sent_) DropSent();
    *eof = close_wanted_;
    eof_sent_ = close_wanted_;
  } else if (!keep_sent_ && out_taken_ > (1u << 20) && out_taken_ * 2 > out_.size()) {
    DropSent();
  }
  return n;
}

void H2Stream::DropSent() {
  keep_sent_ = false;
  if (out_taken_ == out_.size()) {
    out_.clear();
    out_.shrink_to_fit();
  } else {
    out_.erase(0, out_taken_);
  }
  out_taken_ = 0;
}

bool H2Stream::Rewind() {
  if (done_ || !keep_sent_ || retried_) return false;
  retried_ = true;
  keep_sent_ = false;  // the second try is the last: nothing to keep
  connection_ = nullptr;
  id_ = -1;
  out_taken_ = 0;
  eof_sent_ = false;
  return true;
}

bool H2Stream::OnBeginHeaders() {
  if (done_) return false;
  if (keep_sent_) DropSent();  // the EPP has the stream: no replay
  if (call_.BeginBlock()) return true;
  EndLocally(*call_.refusal());
  return false;
}

bool H2Stream::OnHeader(std::string_view name, std::string_view value) {
  if (done_) return false;
  if (call_.OnField(name, value)) return true;
  EndLocally(*call_.refusal());
  return false;
}

bool H2Stream::OnData(std::string_view data) {
  if (done_) return false;
  if (keep_sent_) DropSent();
  if (!call_.HeadersAccepted()) {
    EndLocally(grpc::Status(grpc::StatusCode::INTERNAL, "the EPP sent DATA before its headers"));
    return false;
  }
  bool parsed = true;
  bool ok = decoder_.Feed(data, [&](std::string_view bytes) {
    if (!parsed || done_) return;
    if (raw_reply_) {
      parsed = raw_reply_(bytes);
      return;
    }
    // Without a connection to deliver it (DATA always comes through one),
    // the reply is posted as the gRPC transport posts it.
    if (connection_ == nullptr) {
      extproc::ProcessingResponse reply;
      if (!reply.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        parsed = false;
        return;
      }
      Guarded("h2-reply", [&] { callbacks_->OnReply(std::move(reply)); });
      return;
    }
    // Handed over once nghttp2 has returned (Deliver), never from inside it;
    // parsed into the connection's arena, which that read's end resets.
    auto* reply = google::protobuf::Arena::CreateMessage<extproc::ProcessingResponse>(
        connection_->reply_arena());
    if (!reply->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      parsed = false;
      return;
    }
    pending_replies_.push_back(reply);
  });
  if (!pending_replies_.empty() && !delivery_queued_ && connection_) {
    delivery_queued_ = true;
    connection_->DeliverLater(shared_from_this());
  }
  if (!ok) {
    EndLocally(decoder_.error());
    return false;
  }
  if (!parsed) {
    EndLocally(grpc::Status(grpc::StatusCode::INTERNAL, "could not parse a message from the EPP"));
    return false;
  }
  return true;
}

void H2Stream::OnPeerEnd() {
  if (done_) return;
  // The trailers (or a trailers-only response) end the call, as in gRPC: a
  // request still being written is abandoned.
  H2Connection* connection = connection_;
  Finish(decoder_.Finish() ? call_.Final() : decoder_.error());
  if (connection && !eof_sent_) {
    connection->Reset(id_, NGHTTP2_NO_ERROR);
    connection->FlushSoon();
  }
}

void H2Stream::OnClosed(uint32_t h2_error_code) {
  connection_ = nullptr;
  if (!done_) Finish(StatusForStreamReset(h2_error_code));
}

void H2Stream::Fail(grpc::Status status) {
  connection_ = nullptr;
  if (!done_) Finish(std::move(status));
}

void H2Stream::EndLocally(grpc::Status status) {
  if (done_) return;
  H2Connection* connection = connection_;
  Finish(std::move(status));
  // nghttp2 still knows the stream: reset it; the connection forgets it when
  // nghttp2 reports it closed.
  if (connection) {
    connection->Reset(id_, NGHTTP2_CANCEL);
    connection->FlushSoon();
  }
}

void H2Stream::Finish(grpc::Status status) {
  done_ = true;
  timer_.cancel();
  out_.clear();
  out_.shrink_to_fit();
  out_taken_ = 0;
  raw_reply_ = nullptr;
  if (!pending_replies_.empty()) {
    // Replies of this read wait for Deliver: the end follows them there.
    pending_end_ = std::move(status);
    return;
  }
  End(status, false);
}

void H2Stream::End(const grpc::Status& status, bool in_place) {
  auto callbacks = std::move(callbacks_);
  if (callbacks) {
    Guarded("h2-done", [&] {
      if (in_place) {
        callbacks->OnStreamDoneInPlace(status);
      } else {
        callbacks->OnStreamDone(status);
      }
    });
  }
  callbacks.reset();  // our reference goes before the pool hears of the end
  if (auto on_end = std::move(on_end_)) Guarded("h2-end", [&] { on_end(); });
}

void H2Stream::Deliver() {
  delivery_queued_ = false;
  auto replies = std::move(pending_replies_);
  pending_replies_.clear();
  for (const auto* reply : replies) {
    if (!callbacks_) break;
    auto callbacks = callbacks_;  // the exchange may end the stream meanwhile
    Guarded("h2-reply", [&] { callbacks->OnReplyInPlace(*reply); });
  }
  if (pending_end_) {
    grpc::Status status = std::move(*pending_end_);
    pending_end_.reset();
    End(status, true);
  }
}

}  // namespace eppb
