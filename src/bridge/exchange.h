// One request's exchange with the EPP: sends the request phase, reads the
// replies into a decision, and ends the stream.
//
// Threads: the EPP's replies are interpreted where gRPC delivers them, under
// the exchange's own mutex, and the decided answer is posted onto the strand
// once; everything after the decision (timers, the hold table, closing the
// stream, the owner's callback) runs on the strand. `mu_` guards `state_` and
// `interpreter_`; the strand owns every other member.
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
  // Must be a strand (or a single-threaded executor): every handler of the
  // exchange and the owner's completion run on it.
  using Strand = boost::asio::any_io_executor;
  using Done = std::function<void(BridgeAnswer)>;

  // With `holds`, a picked stream stays open (kHeld) until NGINX reports the
  // response complete; without, it is closed right after the decision.
  Exchange(Strand strand, ExtProcClient* client, const ExchangeConfig& config,
           std::shared_ptr<const BridgeRequest> request, Done done,
           HeldStreamTable* holds = nullptr);

  // Both on the strand.
  void Start();
  // The caller has gone: end the stream now; `done` is never called.
  void Abort();

  // ExtProcStreamCallbacks (gRPC threads): a reply is interpreted at once; the
  // decision, or the stream's end after it, is posted onto the strand.
  void OnReply(const extproc::ProcessingResponse& reply) override;
  void OnStreamDone(const grpc::Status& status) override;

  // HeldStream (any thread): re-posted onto the strand.
  void Complete(const CompletionRecord& record) override;
  void Release(const char* reason) override;

 private:
  // The per-request state machine. Who moves it:
  //   kCreated → kWaiting               Start (strand)
  //   kWaiting → kDecided               Decide: the reply that completes the decision or the
  //                                     stream's end (gRPC thread), the deadline or a failed
  //                                     start (strand), whichever comes first
  //   kDecided → kHeld | kClosing | kOver   Settle (strand), which delivers the answer
  //   kHeld → kClosing                  completion record, release or hold TTL (strand)
  //   kHeld | kClosing → kOver          stream end or linger expiry (strand)
  //   any → kOver                       Abort (strand): the caller has gone
  // Only kWaiting → kDecided happens off the strand, so the strand may act on a state it
  // read unless that state is kWaiting; there it must win Decide().
  enum class State {
    kCreated,  // Start() not called yet
    kWaiting,  // request phase sent (or being sent); no decision yet; deadline armed
    kDecided,  // answer taken; on its way to the strand (Settle)
    kHeld,     // picked and answered; stream open until NGINX's completion record (hold TTL)
    kClosing,  // stream half-closed (after the decision or the response phase); EPP given
               // `linger` to end it
    kOver,     // stream ended or cancelled; nothing left to do
  };

  State state() const;
  void SetState(State s);
  // kWaiting → kDecided, at most once; false when something else decided first.
  // Drops the interpreter: the one place it dies (or with the exchange, if aborted).
  bool Decide();
  bool DecideLocked();  // mu_ held
  void HandleStreamDone();
  void HandleTimer();
  void HandleComplete(const CompletionRecord& record);
  // Half-closes the stream and arms the linger timer; `reason` counts a held stream's end.
  void CloseGracefully(const char* held_reason);
  void ArmTimer(std::chrono::milliseconds after);
  // On the strand, after Decide(): delivers the answer once and moves to kHeld, kClosing
  // (graceful) or kOver. Does nothing if the exchange was aborted meanwhile.
  void Settle(BridgeAnswer answer, bool graceful);

  Strand strand_;
  ExtProcClient* client_;
  HeldStreamTable* holds_;
  const ExchangeConfig& config_;
  std::shared_ptr<const BridgeRequest> request_;
  Done done_;
  mutable std::mutex mu_;
  std::optional<ReplyInterpreter> interpreter_;  // mu_; reset by Decide()
  State state_ = State::kCreated;                // mu_
  std::shared_ptr<ExtProcStream> stream_;
  boost::asio::steady_timer timer_;
};

}  // namespace eppb
