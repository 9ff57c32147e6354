// One worker loop's HTTP/2 connections to one EPP target and the streams on
// them. Each worker has its own pool per target, as each Envoy worker has its
// own connection pools: an exchange and the connection that carries its
// stream run on the same thread.
//
// Threads: its worker's loop (loop()), which one thread runs, owns the pool,
// its connections and their streams; the client hands it each new stream on
// that loop. What the target's pools share (health, open streams, the
// exported state) is the H2TargetState, all atomics.
//
// Connections: a stream goes to the first usable connection with room under
// the EPP's SETTINGS_MAX_CONCURRENT_STREAMS; when all are full a new one is
// opened, up to max_connections, and past that the least loaded one takes it
// (nghttp2 queues it until a stream ends; the stream's deadline bounds the
// wait). A connection that fails before it connects starts a backoff
// (initial_backoff, x1.6, up to max_backoff) during which new streams fail at
// once with UNAVAILABLE, as a gRPC channel in TRANSIENT_FAILURE does; the
// first stream after it connects again (re-resolving the name).
//
// Health: the target's first pool (`probes`) asks the EPP's grpc.health.v1
// service every health.interval (health.unhealthy_interval while the last
// answer was NOT_SERVING or none came) on its connections, one Check at a
// time, and publishes the answer to the shared state and /metrics, as the
// gRPC transport's channel monitor does.
//
// State: the pool's connectivity is a gRPC channel's (idle with no
// connection, connecting, ready while one is connected, transient_failure
// during a backoff, shutdown once cancelled); the shared state folds the
// pools' into the target's epp_bridge_epp_channel_state and counts a
// reconnect when the target is ready again (epp_bridge_epp_reconnects_total).
#pragma once

#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/epp_target.h"
#include "extproc/epp_health.h"
#include "h2/h2_client_options.h"
#include "h2/h2_connection.h"
#include "h2/h2_executor.h"
#include "h2/h2_stream.h"
#include "h2/h2_target_state.h"

namespace eppb {

class H2TargetPool final : public std::enable_shared_from_this<H2TargetPool> {
 public:
  H2TargetPool(boost::asio::io_context& io, EppTarget target,
               std::shared_ptr<boost::asio::ssl::context> tls, std::string server_name,
               const H2ClientOptions& options, std::shared_ptr<H2TargetState> shared, bool probes);

  const H2Executor& loop() const { return loop_; }

  // Strand: joins the shared state and, for the prober, publishes the
  // target's health and starts the probes (when health.interval is not 0).
  // Once, after construction.
  void Start();
  // Strand: takes a new stream.
  void Open(std::shared_ptr<H2Stream> stream);
  // Strand: ends every stream (CANCELLED), closes the connections and
  // refuses later streams.
  void CancelAll();
  // The same from any thread, once the executor has stopped (shutdown).
  void ShutdownNow() { CancelAll(); }

 private:
  // Puts a stream on a connection (or fails it when none can be had).
  void Place(std::shared_ptr<H2Stream> stream);
  H2Connection* NewConnection();
  // Exports the pool's state when it changed (and counts a reconnect).
  void UpdateState();
  void Probe();
  void OnProbeDone(EppHealth now, const grpc::Status& status);
  void OnClosed(H2Connection* connection, bool was_ready, const std::string& why);
  // A stream the EPP refused unprocessed goes to another connection, once.
  void Retry(std::shared_ptr<H2Stream> stream);

  H2Executor loop_;
  const EppTarget target_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  const std::string server_name_;
  const H2ClientOptions options_;
  const std::string key_;  // the target as /metrics and the logs name it
  const std::shared_ptr<H2TargetState> shared_;
  const bool probes_;                      // the target's health prober
  boost::asio::steady_timer probe_timer_;  // the next health probe

  std::vector<std::shared_ptr<H2Connection>> connections_;
  std::chrono::milliseconds backoff_{0};            // 0: the last connect succeeded
  std::chrono::steady_clock::time_point retry_at_;  // no new connection before
  std::string last_error_;
  bool closing_ = false;
  bool joined_ = false;  // counted in the shared state
  H2TargetState::Pool state_ = H2TargetState::Pool::kIdle;
};

}  // namespace eppb
