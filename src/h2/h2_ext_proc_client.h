// ExtProcClient over HTTP/2 (--epp-transport h2): gRPC's ext_proc calls on
// libnghttp2 sessions over Asio sockets. Each worker loop has its own
// connection pool per EPP target, as each Envoy worker has.
//
// Threads: Start() runs on an exchange's strand, on some worker's loop; it
// finds that worker's pool for the target under mu_ (a leaf lock over the map
// alone, never held while calling out) and hands the stream to the pool on
// the same thread, with no post. Everything else about connections and
// streams lives on that loop. A caller off the workers (none in the bridge)
// uses the first worker's pool, through a post.
//
// Health: the target's first pool probes its EPP's grpc.health.v1 service;
// Start refuses (kNotServing) a target whose last answer was NOT_SERVING.
//
// Targets: at most max_targets; for a new one, one with no stream open on
// any worker is evicted, its pools all at once.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/tls_config.h"
#include "extproc/tracked_ext_proc_client.h"
#include "h2/h2_client_options.h"
#include "h2/h2_target_state.h"
#include "net/worker_loops.h"

namespace eppb {

class H2TargetPool;

class H2ExtProcClient final : public TrackedExtProcClient {
 public:
  // nullptr with *error when the TLS files cannot be loaded.
  static std::unique_ptr<H2ExtProcClient> Create(WorkerLoops& loops, const TlsConfig& tls,
                                                 H2ClientOptions options, std::string* error);
  // Cancels what is left: through the loops while they run, directly
  // once they have stopped.
  ~H2ExtProcClient() override;

  std::shared_ptr<ExtProcStream> Start(const EppTarget& target,
                                       std::shared_ptr<ExtProcStreamCallbacks> callbacks,
                                       std::chrono::milliseconds max_lifetime,
                                       Refusal* refusal) override;
  void CancelAll() override;
  bool CancelAllAndWait(std::chrono::milliseconds timeout) override;
  size_t live_streams() const override;
  size_t targets() const override;

 private:
  H2ExtProcClient(WorkerLoops& loops, std::shared_ptr<boost::asio::ssl::context> tls,
                  std::string server_name, H2ClientOptions options);
  bool EvictIdleLocked();  // mu_ held

  // One EPP target: what its pools share, and each worker's pool (made on
  // the worker's first stream to it).
  struct Target {
    std::shared_ptr<H2TargetState> shared;
    std::vector<std::shared_ptr<H2TargetPool>> pools;  // by worker
  };

  // Streams started and not ended, shared with each stream's end.
  struct Live {
    std::mutex mu;
    std::condition_variable idle;
    size_t streams = 0;
  };

  WorkerLoops& loops_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // nullptr: h2c
  const std::string server_name_;
  const H2ClientOptions options_;
  std::shared_ptr<Live> live_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Target> targets_;
};

}  // namespace eppb
