// ExtProcStream over one HTTP/2 stream of an H2Connection.
//
// Threads: Send/Close/SendLast/Cancel run on the owner's executor (the
// exchange's strand). The worker's loop that carries the stream owns every
// member below: called on that loop's thread (the exchange and its stream
// share a worker) they act at once, else they make one post to it. The
// callbacks are called on that loop, as the gRPC transport calls them on its
// threads: OnReply per message, then OnStreamDone once, last; they never call
// back into the exchange directly (it hears each as one post).
//
// Lifetime: the pool, the connection (while nghttp2 knows the stream) and
// pending posts hold it. Finish() is the one place it ends: it tells the
// callbacks, lets go of them and reports the end to the pool (on_end).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "extproc/ext_proc_stream.h"
#include "h2/grpc_call_status.h"
#include "h2/grpc_frame_decoder.h"
#include "h2/h2_client_options.h"
#include "h2/h2_executor.h"

namespace eppb {

class H2Connection;

class H2Stream final : public ExtProcStream, public std::enable_shared_from_this<H2Stream> {
 public:
  using OnEnd = std::function<void()>;
  // Takes one message's bytes from the EPP instead of OnReply (a call that
  // is not ext_proc's); false: it cannot be parsed.
  using RawReply = std::function<bool(std::string_view bytes)>;
  H2Stream(H2Executor loop, std::shared_ptr<ExtProcStreamCallbacks> callbacks,
           std::chrono::milliseconds lifetime, const H2ClientOptions& options, OnEnd on_end);

  // ExtProcStream (the owner's executor): at once on the stream's loop, else
  // one post each.
  void Send(const extproc::ProcessingRequest& message) override;
  void Close() override;
  void SendLast(const extproc::ProcessingRequest& message) override;
  void Cancel() override;

  // --- the stream's loop only ---
  // Makes this stream one unary call to `path` (not ext_proc's Process):
  // `request` is its one message, sent with the half-close; replies go to
  // `on_reply`. Before the pool takes the stream.
  void PrepareUnary(std::string path, const std::string& request, RawReply on_reply);
  const std::string& path() const { return path_; }
  // Starts the lifetime timer (when the pool first takes the stream; a
  // retried stream keeps its deadline).
  void Arm();
  // The connection has submitted the stream as HTTP/2 stream `id`.
  void Attach(H2Connection* connection, int32_t id);
  bool done() const { return done_; }
  std::chrono::milliseconds lifetime() const { return lifetime_; }

  // nghttp2's data source: copies up to `size` queued bytes into `out`.
  // Returns the bytes copied; *eof once everything is written and the
  // half-close is wanted; 0 without eof means "nothing yet" (deferred).
  size_t ReadOut(uint8_t* out, size_t size, bool* eof);
  // A header block begins / one field of it. DATA for the stream. False
  // when the stream has ended (here, on a bad or oversized input: it is
  // reset, and its status says why).
  bool OnBeginHeaders();
  bool OnHeader(std::string_view name, std::string_view value);
  bool OnData(std::string_view data);
  // The EPP ended its side (END_STREAM): the call is over.
  void OnPeerEnd();
  // nghttp2 closed the stream (after both ends, or a reset either way).
  void OnClosed(uint32_t h2_error_code);
  // Ends the stream with `status` (connection lost, refused, shutdown).
  void Fail(grpc::Status status);
  // After the read that brought them: hands this stream's replies, then its
  // end if it came in the same read, to the callbacks (in place).
  void Deliver();
  // The EPP refused the stream unprocessed: true when it can be sent again
  // (not ended, nothing heard from the EPP, its bytes kept, not retried
  // before); it is then detached and rewound for another connection.
  bool Rewind();

 private:
  void DoSend(const extproc::ProcessingRequest& message, bool last);
  // Send and SendLast: at once on the loop, else a copy posted to it.
  void SendOnLoop(const extproc::ProcessingRequest& message, bool last);
  void DoClose();
  void DoCancel();
  // Ends locally: the status is ours, and the peer gets RST_STREAM CANCEL.
  void EndLocally(grpc::Status status);
  void Finish(grpc::Status status);  // the one place the stream ends
  // Tells the callbacks (in place after a read, else as a post) and the pool.
  void End(const grpc::Status& status, bool in_place);
  void DropSent();  // frees what nghttp2 has taken; no replay from here

  H2Executor loop_;
  std::shared_ptr<ExtProcStreamCallbacks> callbacks_;  // reset in Finish
  const std::chrono::milliseconds lifetime_;
  OnEnd on_end_;
  boost::asio::steady_timer timer_;  // the stream's whole life (deadline + linger)

  std::string path_;                    // the call's :path (ext_proc's Process unless PrepareUnary)
  RawReply raw_reply_;                  // set by PrepareUnary; reset in Finish
  H2Connection* connection_ = nullptr;  // set while nghttp2 knows the stream
  int32_t id_ = -1;
  std::string out_;       // framed messages not yet taken by nghttp2
  size_t out_taken_ = 0;  // bytes of out_ already taken
  bool close_wanted_ = false;
  // Replay: until the EPP answers anything, what nghttp2 took stays in out_
  // (up to max_replay_bytes) so that a refused stream can be sent again.
  bool keep_sent_ = true;
  const size_t max_replay_bytes_;
  bool retried_ = false;
  bool armed_ = false;
  bool eof_sent_ = false;  // nghttp2 took our END_STREAM
  bool done_ = false;      // Finish ran
  // Replies of the read in progress (in the connection's arena, which lives
  // until they are delivered), and an end that came with them: the
  // callbacks get them in Deliver, once nghttp2 has returned.
  std::vector<const extproc::ProcessingResponse*> pending_replies_;
  std::optional<grpc::Status> pending_end_;
  bool delivery_queued_ = false;
  GrpcFrameDecoder decoder_;
  GrpcCallStatus call_;
};

}  // namespace eppb
