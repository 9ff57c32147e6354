// One request's exchange with the EPP: sends the request phase, reads the
// replies into a decision, and ends the stream.
//
// Threads: an exchange belongs to one executor (the HTTP session's worker
// loop, or one of pick's). Start, Abort, its timer and every handler below
// run there and nowhere else, so its state needs no lock. Events from other
// threads (a reply or the stream's end on a gRPC thread, a completion record
// or a release from the held-stream table's loop) do the least they can where
// they arrive: each makes exactly one post to the executor, which handles it.
// The HTTP/2 transport hands a reply or the stream's end over on the
// exchange's own loop, after a read and outside nghttp2 (OnReplyInPlace,
// OnStreamDoneInPlace): it is handled at once, unless an exchange handler is
// running, then posted. The owner's `done` callback therefore also runs on
// the executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bridge_answer.h"
#include "common/bridge_request.h"
#include "common/exchange_config.h"
#include "complete/held_stream.h"
#include "complete/held_stream_table.h"
#include "extproc/ext_proc_stream.h"
#include "extproc/reply_interpreter.h"

namespace eppb {

class Metrics;

class Exchange final : public ExtProcStreamCallbacks,
                       public HeldStream,
                       public std::enable_shared_from_this<Exchange> {
 public:
  // The one executor that runs the exchange: a strand, or a single-threaded
  // executor.
  using Strand = boost::asio::any_io_executor;
  // Called once with the answer, on the strand, never after Abort.
  using Done = std::function<void(BridgeAnswer)>;

  // With `holds`, a picked stream stays open (kHeld) until NGINX reports the
  // response complete; without, it is closed right after the decision.
  Exchange(Strand strand, ExtProcClient* client, const ExchangeConfig& config, Metrics& metrics,
           std::shared_ptr<const BridgeRequest> request, Done done,
           HeldStreamTable* holds = nullptr);

  // Strand. Opens the stream and sends the request phase: all of it, or for
  // a request whose body is still arriving (`body_follows`) the headers
  // only; the body then comes through BodyArrived and EndBody.
  void Start();
  // Strand, streamed body: `body` is what has arrived so far (it only
  // grows). Sends the whole chunks that more bytes follow.
  void BodyArrived(std::string_view body);
  // Strand, streamed body: `body` is all of it. Sends the rest with
  // end_of_stream, arms the deadline and reads the replies that came early.
  // Ignored once answered.
  void EndBody(std::string body);
  // Strand. The caller has gone: cancel the stream. True when `done` was
  // still pending (it will never run now); false once answered, when the
  // stream goes on as after any answer (closing, or held).
  bool Abort();

  // ExtProcStreamCallbacks (gRPC threads): one post each.
  void OnReply(extproc::ProcessingResponse reply) override;
  void OnStreamDone(const grpc::Status& status) override;
  // At once when called on the loop that runs this exchange and not from
  // inside one of its own handlers; else as OnReply/OnStreamDone.
  void OnReplyInPlace(const extproc::ProcessingResponse& reply) override;
  void OnStreamDoneInPlace(const grpc::Status& status) override;

  // HeldStream (the table's strand, or any thread): one post each.
  void Complete(const CompletionRecord& record) override;
  void Release(const char* reason) override;

 private:
  // The per-request state machine. Every transition happens on the strand.
  //   from       to                      event
  //   kCreated   kWaiting                Start (a streamed body: until EndBody, replies
  //                                      are kept, not read, and no deadline runs)
  //   kWaiting   kHeld|kClosing|kOver    Decide: the reply that completes the decision, the
  //                                      stream's end, the deadline, a refused or failed
  //                                      start; the answer goes to `done` in the same step
  //   kHeld      kClosing                completion record (response phase, then half-close),
  //                                      release by the table (capacity, shutdown) or hold TTL
  //   kHeld      kOver                   the EPP ends the stream while held
  //   kClosing   kOver                   the EPP ends the stream, or linger expiry (cancel)
  //   any        kOver                   Abort (the caller has gone): cancel
  // Events that find a state they do not act on are dropped: a reply after the
  // decision (the rest of an echoed body), a record after release, a timer
  // that was re-armed.
  enum class State {
    kCreated,  // Start() not called yet
    kWaiting,  // request phase sent (or being sent); no decision yet; deadline armed
    kHeld,     // picked and answered; stream open until NGINX's completion record (hold TTL)
    kClosing,  // stream half-closed; the EPP has `linger` to end it, then it is cancelled
    kOver,     // stream ended or cancelled; nothing left to do
  };

  // The strand's side of each event.
  void HandleReply(const extproc::ProcessingResponse& reply);
  void HandleStreamDone(const grpc::Status& status);
  void HandleComplete(const CompletionRecord& record);
  void HandleRelease(const char* reason);
  void HandleTimer();
  // A handler threw (a defect): answer 502 if no answer went out yet, and
  // end the stream.
  void HandleInternalError();
  // Runs `body` now, on the strand, behind the entry-point guard, with the
  // transport's events that arrive meanwhile posted (BodyArrived, EndBody,
  // RunInPlace).
  template <class Body>
  void RunFromOwner(const char* where, Body&& body);
  // Streamed body: the chunks of `body` not sent yet (all of them, with
  // end_of_stream, when `end`).
  void SendBody(std::string_view body, bool end);
  // Posts `handler` to the strand behind the entry-point guard.
  template <class Handler>
  void Post(const char* where, Handler&& handler);
  // RunFromOwner when the caller is on the loop that runs this exchange and
  // not inside one of its handlers; false when it must be posted instead.
  template <class Handler>
  bool RunInPlace(const char* where, Handler&& handler);

  // kWaiting → kHeld (picked, with a response phase), kClosing (picked:
  // half-close) or kOver (anything else: cancel), then `done`. The one place
  // the interpreter and the request die.
  void Decide(BridgeAnswer answer);
  // kHeld → kClosing: half-closes (after `last`, if given, in the same write)
  // and arms the linger timer; `held_reason` counts the held stream's end.
  void CloseHeld(const char* held_reason, extproc::ProcessingRequest* last);
  void ArmTimer(std::chrono::milliseconds after);

  ExtProcClient* const client_;
  HeldStreamTable* const holds_;
  const ExchangeConfig& config_;
  Metrics& metrics_;
  const std::string id_;        // the request id, for logs
  const std::string hold_key_;  // the held-stream table's key
  // The request until the decision (MessageBuilder and the interpreter read
  // it). A streamed body's request is replaced by the whole one at EndBody.
  std::shared_ptr<const BridgeRequest> request_;
  Done done_;  // moved out once, by Decide; cleared by Abort
  // Reset by Decide. A streamed body's interpreter is made at EndBody: the
  // echo checks need the whole body.
  std::optional<ReplyInterpreter> interpreter_;
  size_t body_sent_ = 0;  // streamed body: bytes sent so far
  // Replies that came before a streamed body's end, read at EndBody; at
  // most max_body_bytes + kEppBodySlackBytes of them (an EPP normally
  // answers after the end).
  std::vector<extproc::ProcessingResponse> early_;
  size_t early_bytes_ = 0;
  // The stream's end, when it came before a streamed body's end: the
  // answer unless an early reply decides (at EndBody).
  std::optional<grpc::Status> ended_;
  State state_ = State::kCreated;
  std::shared_ptr<ExtProcStream> stream_;  // set by Start
  boost::asio::steady_timer timer_;        // on the strand: one deadline at a time
  bool in_place_ = false;                  // a handler runs in place right now
};

}  // namespace eppb
