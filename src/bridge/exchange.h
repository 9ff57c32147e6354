// One request's exchange with the EPP: sends the request phase, reads the
// replies into a decision, and ends the stream.
//
// Threads: the exchange is driven from three places: the strand (Start,
// Abort, its timer), gRPC's threads (replies, the stream's end) and the
// completion listener (a held stream's record). Each event is handled where it
// arrives, under the exchange's own mutex `mu_`, which guards the state, the
// interpreter, the timer, the stream handle, the request and the owner's
// callback. Nothing is posted between threads: the decision is settled, and
// the owner's callback run, on the thread that decided. Stream operations and
// the callback run outside the mutex.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "bridge/bridge_answer.h"
#include "bridge/bridge_request.h"
#include "bridge/exchange_config.h"
#include "bridge/held_stream.h"
#include "bridge/held_stream_table.h"
#include "extproc/ext_proc_stream.h"
#include "extproc/reply_interpreter.h"

namespace eppb {

class Exchange final : public ExtProcStreamCallbacks,
                       public HeldStream,
                       public std::enable_shared_from_this<Exchange> {
 public:
  // The executor of the exchange's timer: a strand (or a single-threaded
  // executor) that also runs Start and Abort.
  using Strand = boost::asio::any_io_executor;
  // Called once with the answer (never after a successful Abort), on the
  // thread that decided: a gRPC thread, the strand (deadline, refusal) or
  // the caller of Start. Must be thread-safe and short.
  using Done = std::function<void(BridgeAnswer)>;

  // With `holds`, a picked stream stays open (kHeld) until NGINX reports the
  // response complete; without, it is closed right after the decision.
  Exchange(Strand strand, ExtProcClient* client, const ExchangeConfig& config,
           std::shared_ptr<const BridgeRequest> request, Done done,
           HeldStreamTable* holds = nullptr);

  // Both on the strand.
  void Start();
  // The caller has gone: cancel the stream, unless the answer was already
  // handed to `done` (running or run on another thread; the stream then goes
  // on as after any answer). True when `done` will never be called.
  bool Abort();

  // ExtProcStreamCallbacks (gRPC threads): a reply is interpreted at once; the
  // decision, and the stream's end after it, are handled on the same thread.
  void OnReply(const extproc::ProcessingResponse& reply) override;
  void OnStreamDone(const grpc::Status& status) override;

  // HeldStream (any thread): handled on the calling thread.
  void Complete(const CompletionRecord& record) override;
  void Release(const char* reason) override;

 private:
  // The per-request state machine. Who moves it:
  //   kCreated → kWaiting               Start (strand)
  //   kWaiting → kDecided               Decide: the reply that completes the decision or the
  //                                     stream's end (gRPC thread), the deadline or a failed
  //                                     start (strand), whichever comes first
  //   kDecided → kHeld | kClosing | kOver   Settle, on the deciding thread, which then
  //                                     delivers the answer
  //   kHeld → kClosing                  completion record (listener thread), release (any
  //                                     thread) or hold TTL (strand)
  //   kHeld | kClosing → kOver          stream end (gRPC thread) or linger expiry (strand)
  //   any → kOver                       Abort (strand): the caller has gone
  // Every transition is made under mu_ by the one thread that saw the old state; what
  // it implies for the stream is done after the mutex is released.
  enum class State {
    kCreated,  // Start() not called yet
    kWaiting,  // request phase sent (or being sent); no decision yet; deadline armed
    kDecided,  // answer taken; the deciding thread settles it next
    kHeld,     // picked and answered; stream open until NGINX's completion record (hold TTL)
    kClosing,  // stream half-closed (after the decision or the response phase); EPP given
               // `linger` to end it
    kOver,     // stream ended or cancelled; nothing left to do
  };

  // kWaiting → kDecided, at most once; false when something else decided first.
  // Drops the interpreter: the one place it dies (or with the exchange, if aborted).
  bool Decide();
  bool DecideLocked();  // mu_ held
  void HandleTimer();   // strand
  // kHeld → kClosing: half-closes the stream (after `last`, if given, in the same
  // write) and arms the linger timer; `held_reason` counts the held stream's end.
  void CloseHeld(const char* held_reason, extproc::ProcessingRequest* last);
  void ArmTimerLocked(std::chrono::milliseconds after);  // mu_ held
  // After Decide(), on the deciding thread: moves to kHeld, kClosing (graceful) or
  // kOver, then delivers the answer once. Does nothing if the exchange was aborted.
  void Settle(BridgeAnswer answer, bool graceful);

  ExtProcClient* client_;
  HeldStreamTable* holds_;
  const ExchangeConfig& config_;
  const std::string id_;  // the request id (logs, the hold table's key)
  mutable std::mutex mu_;
  // mu_. The request until Settle, which drops it.
  std::shared_ptr<const BridgeRequest> request_;
  Done done_;                                    // mu_; moved out once, by Settle
  std::optional<ReplyInterpreter> interpreter_;  // mu_; reset by Decide()
  State state_ = State::kCreated;                // mu_
  std::shared_ptr<ExtProcStream> stream_;        // mu_; set once by Start
  boost::asio::steady_timer timer_;              // mu_: one deadline at a time
};

}  // namespace eppb
