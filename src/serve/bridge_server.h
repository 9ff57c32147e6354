// The running sidecar: HTTP listener, worker threads, EPP channels. Used by
// `epp-bridge serve` and, on port 0, by the in-process integration tests.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "complete/completion_listener.h"
#include "extproc/channel_registry.h"
#include "extproc/tracked_ext_proc_client.h"
#include "http/listener.h"
#include "http/server_context.h"
#include "net/worker_loops.h"
#include "serve/admin_server.h"
#include "serve/serve_options.h"

namespace eppb {

class BridgeServer {
 public:
  // Validates the options and binds the listener; nullptr with *error (and
  // *exit_code) when the configuration is unusable.
  static std::unique_ptr<BridgeServer> Create(ServeOptions options, std::string* error,
                                              int* exit_code);
  ~BridgeServer();

  int port() const;
  int admin_port() const;  // 0 when the admin listener is off
  unsigned threads() const { return loops_.size(); }
  const ServeOptions& options() const { return options_; }
  ServerContext& context() { return ctx_; }
  size_t epp_targets() const { return client_->targets(); }  // whichever the transport
  HeldStreams* holds() { return holds_.get(); }
  // The first worker's loop: it also runs the listener, the admin server,
  // the held-stream table and the drain.
  boost::asio::io_context& first_loop() { return loops_.at(0); }

  // Starts accepting on `threads()` threads (the calling thread is not used).
  void Start();
  // Stops accepting, waits for in-flight exchanges, releases held streams
  // and waits for streams to end, all within the grace period; then cancels
  // what is left and stops the workers. Safe from any thread; idempotent.
  void Drain();
  // Blocks until the workers have stopped.
  void Wait();

 private:
  explicit BridgeServer(ServeOptions options);
  void PollDrain();
  void RunWorker(unsigned i);  // worker i runs its loop, surviving escaped exceptions

  // After the workers stop: how long cancelled streams get to end.
  static constexpr std::chrono::milliseconds kStreamEndWait{500};

  // Declared first, destroyed last: every object below may hold handlers,
  // timers or sockets of the loops.
  WorkerLoops loops_;
  ServeOptions options_;
  ServerContext ctx_;
  std::unique_ptr<ChannelRegistry> registry_;     // --epp-transport grpc only
  std::unique_ptr<TrackedExtProcClient> client_;  // --epp-transport
  std::shared_ptr<Listener> listener_;
  std::shared_ptr<AdminServer> admin_;
  std::unique_ptr<HeldStreams> holds_;
  std::shared_ptr<CompletionListener> completions_;
  boost::asio::steady_timer drain_timer_;
  std::chrono::steady_clock::time_point grace_end_;
  bool released_ = false;  // drain step 2 reached (the first loop's handlers only)
  std::vector<std::thread> pool_;
};

}  // namespace eppb
