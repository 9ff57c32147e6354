// One request's exchange with the EPP: sends the request phase, reads the
// replies into a decision, and ends the stream. Runs on one strand; gRPC
// callbacks are posted onto it, so no state below needs a lock.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <functional>
#include <memory>

#include "bridge/bridge_answer.h"
#include "bridge/bridge_request.h"
#include "bridge/exchange_config.h"
#include "extproc/ext_proc_stream.h"
#include "extproc/reply_interpreter.h"

namespace eppb {

class Exchange final : public ExtProcStreamCallbacks,
                       public std::enable_shared_from_this<Exchange> {
 public:
  // Must be a strand (or a single-threaded executor): every handler of the
  // exchange and the owner's completion run on it.
  using Strand = boost::asio::any_io_executor;
  using Done = std::function<void(BridgeAnswer)>;

  Exchange(Strand strand, ExtProcClient* client, const ExchangeConfig& config,
           std::shared_ptr<const BridgeRequest> request, Done done);

  // Both on the strand.
  void Start();
  // The caller has gone: end the stream now; `done` is never called.
  void Abort();

  // ExtProcStreamCallbacks (gRPC threads): re-posted onto the strand.
  void OnReply(extproc::ProcessingResponse reply) override;
  void OnStreamDone(const grpc::Status& status) override;

 private:
  enum class State {
    kCreated,  // Start() not called yet
    kWaiting,  // request phase sent (or being sent); no decision yet; deadline armed
    kClosing,  // answer delivered; stream half-closed, EPP given `linger` to end it
    kOver,     // stream ended or cancelled; nothing left to do
  };

  void HandleReply(const extproc::ProcessingResponse& reply);
  void HandleStreamDone(const grpc::Status& status);
  void HandleTimer();
  // Delivers the answer once and moves to kClosing (graceful) or kOver.
  void Finish(BridgeAnswer answer, bool graceful);

  Strand strand_;
  ExtProcClient* client_;
  const ExchangeConfig& config_;
  std::shared_ptr<const BridgeRequest> request_;
  Done done_;
  ReplyInterpreter interpreter_;
  std::shared_ptr<ExtProcStream> stream_;
  boost::asio::steady_timer timer_;
  State state_ = State::kCreated;
};

}  // namespace eppb
