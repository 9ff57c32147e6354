// ExtProcClient over the channel registry: streams on shared channels.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "extproc/channel_registry.h"
#include "extproc/ext_proc_stream.h"
#include "extproc/tracked_ext_proc_client.h"

namespace eppb {

class GrpcStream;

// Also tracks every live stream, so that shutdown can cancel them and wait
// until gRPC has let go of them before the executors they post to are gone.
class GrpcExtProcClient final : public TrackedExtProcClient {
 public:
  explicit GrpcExtProcClient(ChannelRegistry* registry);
  // Cancels what is left and waits a bounded time; a stream that still ends
  // later only touches the shared tracking state, never the client.
  ~GrpcExtProcClient() override;

  // nullptr when the registry cannot take another target, or the EPP's
  // health service last said NOT_SERVING.
  std::shared_ptr<ExtProcStream> Start(const EppTarget& target,
                                       std::shared_ptr<ExtProcStreamCallbacks> callbacks,
                                       std::chrono::milliseconds max_lifetime,
                                       Refusal* refusal) override;

  // Cancels every live stream (even half-closed ones the EPP keeps open).
  void CancelAll() override;
  // CancelAll, then waits up to `timeout` for gRPC to end them. True when
  // none is left.
  bool CancelAllAndWait(std::chrono::milliseconds timeout) override;
  size_t live_streams() const override;
  size_t targets() const override { return registry_->size(); }

 private:
  // The live streams, shared with each stream's end callback so that a
  // stream ending after the client is gone finds it still there. Its lock
  // is a leaf: no stream is called while it is held.
  struct Live {
    std::mutex mu;
    std::condition_variable idle;
    struct Stream {
      std::weak_ptr<GrpcStream> stream;
      // Held for the stream's life, so the registry never evicts a target
      // with a stream open.
      std::shared_ptr<ChannelRegistry::Entry> entry;
    };
    std::unordered_map<GrpcStream*, Stream> streams;
  };

  ChannelRegistry* registry_;
  std::shared_ptr<Live> live_;
};

}  // namespace eppb
