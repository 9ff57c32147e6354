// What one EPP target's pools share. Each worker loop has its own pool of
// connections to the target (h2_target_pool.h); the target as a whole has one
// health, one count of open streams and one exported channel state.
//
// Threads: every member is atomic. Each pool writes from its own loop; the
// client's Start reads health() and live() from any worker.
//
// Channel state: each pool is in one state (idle, connecting, ready,
// transient_failure, shutdown); the target's is the best of them, in that
// order from ready (one ready pool serves the target). The pools' counts per
// state are one atomic word, so every change sees the exact target state
// before and after it: that is where a reconnect is counted (ready again
// after no pool was) and the change logged. The gauge is written by whoever
// changed it, and written again until it matches the word it read last, so
// the last writer leaves the current state whatever the interleaving.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "extproc/epp_health.h"

namespace eppb {

class H2TargetState {
 public:
  enum class Pool { kIdle, kConnecting, kReady, kTransientFailure, kShutdown };
  static const char* Name(Pool state);

  explicit H2TargetState(std::string key) : key_(std::move(key)) {}

  const std::string& key() const { return key_; }
  // What the EPP's health service last said (one pool probes).
  const SharedEppHealth& health() const { return health_; }
  // Streams started to the target and not ended yet, on any pool.
  std::atomic<size_t>& live() { return live_; }

  // A new pool, idle.
  void Join();
  // A pool went from one state to another.
  void Move(Pool from, Pool to);
  // Writes the target's state to /metrics (nothing once retired).
  void Export();
  // Evicted: from here on nothing is exported, so a stale write cannot bring
  // back a series a new state for the same target owns.
  void Retire() { retired_.store(true); }
  bool retired() const { return retired_.load(); }

 private:
  static constexpr int kBits = 12;  // pools per state: at most 4095 workers
  static uint64_t Unit(Pool state) { return uint64_t{1} << (kBits * static_cast<int>(state)); }
  static Pool Fold(uint64_t counts);

  const std::string key_;  // as /metrics and the logs name the target
  SharedEppHealth health_ = std::make_shared<std::atomic<EppHealth>>(EppHealth::kUnknown);
  std::atomic<size_t> live_{0};
  std::atomic<uint64_t> counts_{0};  // pools in each state, kBits bits each
  std::atomic<bool> was_ready_{false};
  std::atomic<bool> retired_{false};
};

}  // namespace eppb
