// One request's exchange with the EPP: sends the request phase, reads the
// replies into a decision, and ends the stream. Runs on one strand; gRPC
// callbacks are posted onto it, so no state below needs a lock.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <functional>
#include <memory>
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

  // ExtProcStreamCallbacks (gRPC threads): re-posted onto the strand.
  void OnReply(extproc::ProcessingResponse reply) override;
  void OnStreamDone(const grpc::Status& status) override;

  // HeldStream (any thread): re-posted onto the strand.
  void Complete(const CompletionRecord& record) override;
  void Release(const char* reason) override;

 private:
  enum class State {
    kCreated,  // Start() not called yet
    kWaiting,  // request phase sent (or being sent); no decision yet; deadline armed
    kHeld,     // picked and answered; stream open until NGINX's completion record (hold TTL)
    kClosing,  // stream half-closed (after the decision or the response phase); EPP given
               // `linger` to end it
    kOver,     // stream ended or cancelled; nothing left to do
  };

  void HandleReply(const extproc::ProcessingResponse& reply);
  void HandleStreamDone(const grpc::Status& status);
  void HandleTimer();
  void HandleComplete(const CompletionRecord& record);
  // Half-closes the stream and arms the linger timer; `reason` counts a held stream's end.
  void CloseGracefully(const char* held_reason);
  void ArmTimer(std::chrono::milliseconds after);
  // Delivers the answer once and moves to kClosing (graceful) or kOver.
  void Finish(BridgeAnswer answer, bool graceful);

  Strand strand_;
  ExtProcClient* client_;
  HeldStreamTable* holds_;
  const ExchangeConfig& config_;
  std::shared_ptr<const BridgeRequest> request_;
  Done done_;
  std::optional<ReplyInterpreter> interpreter_;  // reset after the decision
  std::shared_ptr<ExtProcStream> stream_;
  boost::asio::steady_timer timer_;
  State state_ = State::kCreated;
};

}  // namespace eppb
