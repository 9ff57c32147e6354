// Every metric of the bridge, declared in one place and named after events
// (Prometheus conventions: snake_case, unit suffixes, _total for counters).
// One process-wide registry; the admin listener serialises it on /metrics.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/bridge_answer.h"
#include "common/epp_body_budget.h"
#include "common/failure.h"

namespace eppb {

// Every series whose labels are known in advance (outcomes, failure reasons)
// is created with the registry, so counting one is an array index.
class Metrics {
 public:
  // The process's instance, which serve registers on /metrics. The request
  // path is given it (Session, Exchange, HeldStreamTable) rather than looking
  // it up.
  static Metrics& Get();

  // One finished exchange (or rejected request), by outcome and detail.
  void CountAnswer(const BridgeAnswer& answer, double seconds);
  void ObserveBodyBytes(size_t bytes) { body_bytes_->Observe(static_cast<double>(bytes)); }
  prometheus::Gauge& inflight() { return *inflight_; }
  prometheus::Gauge& held_streams() { return *held_streams_; }
  void CountHeldStreamEnd(std::string_view reason);     // completed, ttl, capacity, ...
  void CountCompletionRecord(std::string_view result);  // matched, unknown, duplicate, ...
  void CountCallerHangup() { hangups_->Increment(); }
  void CountDroppedMutations(int n) { dropped_mutations_->Increment(n); }
  // An exception caught at an entry point (observe/entry_guard.h).
  void CountInternalError(const std::string& where);
  // A stream the EPP did not end within --linger-ms after our half-close.
  void CountLingerExpired() { linger_expired_->Increment(); }
  // The budget whose use /metrics reports (epp_bridge_buffered_epp_body_bytes);
  // held weakly, read at each scrape.
  void WatchBodyBudget(std::weak_ptr<const EppBodyBudget> budget);
  // Channel connectivity, set by the channel monitor.
  void SetChannelState(const std::string& target, const std::string& state);
  void CountReconnect(const std::string& target);
  void SetEppHealth(const std::string& target, const std::string& health);
  // An idle EPP target made room for a new one: its channel is gone.
  void CountEppTargetEviction() { target_evictions_->Increment(); }
  void ForgetEppTarget(const std::string& target);  // drops its state and health series

  std::string Serialize() const;
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

 private:
  Metrics();
  prometheus::Counter& Labeled(prometheus::Family<prometheus::Counter>& f,
                               const prometheus::Labels& labels);
  // A label value counted on every held request: its series is looked up
  // (Labeled) the first time only, so it still appears when first counted.
  struct KnownSeries {
    std::string_view value;
    std::atomic<prometheus::Counter*> counter{nullptr};
  };
  template <size_t N>
  prometheus::Counter& Known(prometheus::Family<prometheus::Counter>& f, const char* label,
                             std::array<KnownSeries, N>& known, std::string_view value);
  std::array<KnownSeries, 6> held_end_known_{
      {{"completed"}, {"ttl"}, {"capacity"}, {"replaced"}, {"shutdown"}, {"epp_closed"}}};
  std::array<KnownSeries, 5> record_known_{
      {{"matched"}, {"duplicate"}, {"late"}, {"unknown"}, {"malformed"}}};

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Counter>* immediate_;
  prometheus::Family<prometheus::Counter>* errors_;
  prometheus::Family<prometheus::Counter>* rejected_;
  prometheus::Family<prometheus::Histogram>* duration_;
  prometheus::Histogram* body_bytes_;
  prometheus::Gauge* inflight_;
  prometheus::Gauge* held_streams_;
  prometheus::Family<prometheus::Counter>* held_ends_;
  prometheus::Family<prometheus::Counter>* completion_records_;
  prometheus::Counter* hangups_;
  prometheus::Counter* dropped_mutations_;
  prometheus::Family<prometheus::Counter>* internal_errors_;
  prometheus::Counter* linger_expired_;
  prometheus::Family<prometheus::Gauge>* channel_state_;
  prometheus::Family<prometheus::Counter>* reconnects_;
  prometheus::Family<prometheus::Gauge>* epp_health_;
  prometheus::Counter* target_evictions_;
  prometheus::Gauge* buffered_body_bytes_;
  prometheus::Gauge* buffered_body_limit_;
  mutable std::mutex budget_mu_;
  std::weak_ptr<const EppBodyBudget> budget_;  // budget_mu_
  std::mutex mu_;  // guards the label lookups below (families are thread-safe, caching is not)
  std::unordered_map<std::string, prometheus::Counter*> cache_;
  // Created in the constructor, never changed: the counter and histogram of
  // each outcome, and the counter of each failure (in errors_ or rejected_).
  std::array<prometheus::Counter*, kOutcomeCount> outcome_counts_{};
  std::array<prometheus::Histogram*, kOutcomeCount> outcome_durations_{};
  std::array<prometheus::Counter*, kFailureCount> failure_counts_{};
};

}  // namespace eppb
