// The HTTP/2 connections to one EPP target and the streams on them.
//
// Threads: one strand (strand()) owns the pool, its connections and their
// streams; the client posts every new stream to it. Only live() is read
// elsewhere (the client's eviction, under the client's lock).
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
// Health: every health.interval (health.unhealthy_interval while the last
// answer was NOT_SERVING or none came) the pool asks the EPP's
// grpc.health.v1 service on the same connections, one Check at a time, and
// publishes the answer to health() and /metrics, as the gRPC transport's
// channel monitor does.
//
// State: the pool's connectivity is exported as a gRPC channel's would be
// (epp_bridge_epp_channel_state: idle with no connection, connecting, ready
// while one is connected, transient_failure during a backoff, shutdown once
// cancelled), and a pool that is ready again after losing every connection
// counts a reconnect (epp_bridge_epp_reconnects_total).
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

namespace eppb {

class H2TargetPool final : public std::enable_shared_from_this<H2TargetPool> {
 public:
  H2TargetPool(boost::asio::io_context& io, EppTarget target,
               std::shared_ptr<boost::asio::ssl::context> tls, std::string server_name,
               const H2ClientOptions& options);

  const H2Strand& strand() const { return strand_; }
  // What the EPP's health service last said; read by the client's Start.
  EppHealth health() const { return health_->load(std::memory_order_relaxed); }
  // Streams started on this pool and not ended yet.
  std::atomic<size_t>& live() { return live_; }

  // Strand: publishes the target's series and starts the health probes
  // (when health.interval is not 0). Once, after construction.
  void Start();
  // Strand: takes a new stream.
  void Open(std::shared_ptr<H2Stream> stream);
  // Any thread (the client's eviction, before it drops the target's series):
  // from here on the pool exports nothing, so a stale update cannot bring
  // back a series a new pool for the same target now owns.
  void Retire() { retired_.store(true); }
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

  H2Strand strand_;
  const EppTarget target_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  const std::string server_name_;
  const H2ClientOptions options_;
  const std::string key_;  // the target as /metrics and the logs name it
  std::atomic<size_t> live_{0};
  std::atomic<bool> retired_{false};  // evicted: /metrics belongs to its successor
  // Written on the strand, read by any thread's Start.
  SharedEppHealth health_ = std::make_shared<std::atomic<EppHealth>>(EppHealth::kUnknown);
  boost::asio::steady_timer probe_timer_;  // the next health probe

  std::vector<std::shared_ptr<H2Connection>> connections_;
  std::chrono::milliseconds backoff_{0};            // 0: the last connect succeeded
  std::chrono::steady_clock::time_point retry_at_;  // no new connection before
  std::string last_error_;
  bool closing_ = false;
  const char* state_ = "idle";  // as exported
  bool was_ready_ = false;      // has been ready at least once
};

}  // namespace eppb
