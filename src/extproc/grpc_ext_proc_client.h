// ExtProcClient over the channel registry: streams on shared channels.
#pragma once

#include <condition_variable>
#include <mutex>
#include <unordered_map>

#include "extproc/channel_registry.h"
#include "extproc/ext_proc_stream.h"

namespace eppb {

class GrpcStream;

// Also tracks every live stream, so that shutdown can cancel them and wait
// until gRPC has let go of them before the executors they post to are gone.
class GrpcExtProcClient final : public ExtProcClient {
 public:
  explicit GrpcExtProcClient(ChannelRegistry* registry) : registry_(registry) {}
  ~GrpcExtProcClient() override;

  // nullptr when the registry cannot take another target, or the EPP's
  // health service last said NOT_SERVING.
  std::shared_ptr<ExtProcStream> Start(const EppTarget& target,
                                       std::shared_ptr<ExtProcStreamCallbacks> callbacks,
                                       std::chrono::milliseconds max_lifetime,
                                       Refusal* refusal) override;

  // Cancels every live stream and waits up to `timeout` for them to end.
  // True when none is left.
  bool CancelAllAndWait(std::chrono::milliseconds timeout);
  size_t live_streams() const;

 private:
  void Forget(GrpcStream* stream);

  ChannelRegistry* registry_;
  mutable std::mutex mu_;
  std::condition_variable idle_;
  // Each live stream with its registry entry: held for the stream's life, so
  // the registry never evicts a target with a stream open.
  std::unordered_map<GrpcStream*, std::shared_ptr<ChannelRegistry::Entry>> live_;
};

}  // namespace eppb
