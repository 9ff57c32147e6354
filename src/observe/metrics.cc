#include "observe/metrics.h"

#include <prometheus/text_serializer.h>

namespace eppb {

namespace p = prometheus;

Metrics& Metrics::Get() {
  static Metrics* m = new Metrics();  // never destroyed: used until the last thread exits
  return *m;
}

Metrics::Metrics() : registry_(std::make_shared<p::Registry>()) {
  auto& r = *registry_;
  requests_ = &p::BuildCounter()
                   .Name("epp_bridge_requests_total")
                   .Help("Requests answered, by outcome: picked, immediate, error, rejected")
                   .Register(r);
  immediate_ = &p::BuildCounter()
                    .Name("epp_bridge_immediate_responses_total")
                    .Help("EPP immediate responses passed to the caller, by HTTP status code")
                    .Register(r);
  errors_ = &p::BuildCounter()
                 .Name("epp_bridge_errors_total")
                 .Help("Exchanges that ended without a decision, by reason")
                 .Register(r);
  rejected_ = &p::BuildCounter()
                   .Name("epp_bridge_rejected_requests_total")
                   .Help("Requests refused before any exchange (bad input, limits), by reason")
                   .Register(r);
  duration_ = &p::BuildHistogram()
                   .Name("epp_bridge_exchange_duration_seconds")
                   .Help("Time from the request to the EPP's decision, by outcome")
                   .Register(r);
  body_bytes_ = &p::BuildHistogram()
                     .Name("epp_bridge_request_body_bytes")
                     .Help("Request body sizes forwarded to the EPP")
                     .Register(r)
                     .Add({}, p::Histogram::BucketBoundaries{1024, 16384, 65536, 262144, 1048576,
                                                             4194304, 16777216, 67108864});
  inflight_ = &p::BuildGauge()
                   .Name("epp_bridge_inflight_exchanges")
                   .Help("Exchanges waiting for the EPP's decision")
                   .Register(r)
                   .Add({});
  held_streams_ = &p::BuildGauge()
                       .Name("epp_bridge_held_streams")
                       .Help("EPP streams held open until NGINX reports the response complete")
                       .Register(r)
                       .Add({});
  held_ends_ = &p::BuildCounter()
                    .Name("epp_bridge_held_stream_ends_total")
                    .Help(
                        "Held streams closed, by reason: completed, ttl, capacity, replaced, "
                        "epp_closed, shutdown")
                    .Register(r);
  completion_records_ = &p::BuildCounter()
                             .Name("epp_bridge_completion_records_total")
                             .Help(
                                 "Completion records from NGINX, by result: matched, unknown, "
                                 "duplicate, late, malformed")
                             .Register(r);
  hangups_ = &p::BuildCounter()
                  .Name("epp_bridge_caller_hangups_total")
                  .Help("Callers that closed the connection during an exchange")
                  .Register(r)
                  .Add({});
  dropped_mutations_ = &p::BuildCounter()
                            .Name("epp_bridge_dropped_header_mutations_total")
                            .Help("EPP header mutations dropped as unsafe")
                            .Register(r)
                            .Add({});
  internal_errors_ = &p::BuildCounter()
                          .Name("epp_bridge_internal_errors_total")
                          .Help("Exceptions caught at an entry point, by where (a defect)")
                          .Register(r);
  linger_expired_ = &p::BuildCounter()
                         .Name("epp_bridge_linger_expired_total")
                         .Help(
                             "EPP streams cancelled because the EPP did not end them within "
                             "--linger-ms of the half-close")
                         .Register(r)
                         .Add({});
  channel_state_ = &p::BuildGauge()
                        .Name("epp_bridge_epp_channel_state")
                        .Help("1 for the current connectivity state of each EPP channel")
                        .Register(r);
  reconnects_ = &p::BuildCounter()
                     .Name("epp_bridge_epp_reconnects_total")
                     .Help("EPP channels that became ready again after losing the connection")
                     .Register(r);
  epp_health_ =
      &p::BuildGauge()
           .Name("epp_bridge_epp_health")
           .Help("The EPP's last grpc.health.v1 answer per target (1 for the current one)")
           .Register(r);
  target_evictions_ = &p::BuildCounter()
                           .Name("epp_bridge_epp_target_evictions_total")
                           .Help(
                               "Idle EPP targets (least recently used, no stream open) whose "
                               "channel was closed to make room under --max-epp-targets")
                           .Register(r)
                           .Add({});
  buffered_body_bytes_ = &p::BuildGauge()
                              .Name("epp_bridge_buffered_epp_body_bytes")
                              .Help(
                                  "EPP body reply bytes reserved by exchanges now (rewritten "
                                  "bodies being collected)")
                              .Register(r)
                              .Add({});
  buffered_body_limit_ = &p::BuildGauge()
                              .Name("epp_bridge_buffered_epp_body_limit_bytes")
                              .Help("--max-buffered-body-bytes: above it, 503 epp-body-budget")
                              .Register(r)
                              .Add({});

  static const p::Histogram::BucketBoundaries kBuckets{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  for (size_t i = 0; i < kOutcomeCount; ++i) {
    const char* outcome = OutcomeName(static_cast<Outcome>(i));
    outcome_counts_[i] = &requests_->Add({{"outcome", outcome}});
    if (static_cast<Outcome>(i) != Outcome::kRejected) {  // no exchange, no duration
      outcome_durations_[i] = &duration_->Add({{"outcome", outcome}}, kBuckets);
    }
  }
  for (size_t i = 0; i < kFailureCount; ++i) {
    const FailureInfo& f = Describe(static_cast<Failure>(i));
    auto* family = f.outcome == Outcome::kRejected ? rejected_ : errors_;
    failure_counts_[i] = &family->Add({{"reason", f.token}});
  }
}

void Metrics::WatchBodyBudget(std::weak_ptr<const EppBodyBudget> budget) {
  std::lock_guard lock(budget_mu_);
  budget_ = std::move(budget);
}

p::Counter& Metrics::Labeled(p::Family<p::Counter>& f, const p::Labels& labels) {
  std::string key = std::to_string(reinterpret_cast<uintptr_t>(&f));
  for (const auto& [k, v] : labels) key += "|" + k + "=" + v;
  std::lock_guard lock(mu_);
  auto it = cache_.find(key);
  if (it != cache_.end()) return *it->second;
  auto& c = f.Add(labels);
  cache_.emplace(std::move(key), &c);
  return c;
}

void Metrics::CountAnswer(const BridgeAnswer& a, double seconds) {
  const auto slot = static_cast<size_t>(a.outcome);
  outcome_counts_[slot]->Increment();
  switch (a.outcome) {
    case Outcome::kImmediate:
      Labeled(*immediate_, {{"code", std::to_string(a.status)}}).Increment();
      break;
    case Outcome::kError:
      failure_counts_[static_cast<size_t>(a.failure)]->Increment();
      break;
    case Outcome::kRejected:
      failure_counts_[static_cast<size_t>(a.failure)]->Increment();
      return;  // no exchange happened
    case Outcome::kPicked:
      break;
  }
  outcome_durations_[slot]->Observe(seconds);
}

template <size_t N>
p::Counter& Metrics::Known(p::Family<p::Counter>& f, const char* label,
                           std::array<KnownSeries, N>& known, std::string_view value) {
  for (auto& k : known) {
    if (k.value != value) continue;
    if (auto* c = k.counter.load(std::memory_order_acquire)) return *c;
    auto& c = Labeled(f, {{label, std::string(value)}});
    k.counter.store(&c, std::memory_order_release);  // the same series whoever stores it
    return c;
  }
  return Labeled(f, {{label, std::string(value)}});
}

void Metrics::CountHeldStreamEnd(std::string_view reason) {
  Known(*held_ends_, "reason", held_end_known_, reason).Increment();
}

void Metrics::CountCompletionRecord(std::string_view result) {
  Known(*completion_records_, "result", record_known_, result).Increment();
}

void Metrics::CountInternalError(const std::string& where) {
  Labeled(*internal_errors_, {{"where", where}}).Increment();
}

void Metrics::SetChannelState(const std::string& target, const std::string& state) {
  for (const char* s : {"idle", "connecting", "ready", "transient_failure", "shutdown"}) {
    channel_state_->Add({{"target", target}, {"state", s}}).Set(state == s ? 1 : 0);
  }
}

void Metrics::CountReconnect(const std::string& target) {
  Labeled(*reconnects_, {{"target", target}}).Increment();
}

void Metrics::SetEppHealth(const std::string& target, const std::string& health) {
  for (const char* s : {"unknown", "serving", "not_serving", "unreachable"}) {
    epp_health_->Add({{"target", target}, {"health", s}}).Set(health == s ? 1 : 0);
  }
}

void Metrics::ForgetEppTarget(const std::string& target) {
  for (const char* s : {"idle", "connecting", "ready", "transient_failure", "shutdown"}) {
    const p::Labels labels{{"target", target}, {"state", s}};
    if (channel_state_->Has(labels)) channel_state_->Remove(&channel_state_->Add(labels));
  }
  for (const char* s : {"unknown", "serving", "not_serving", "unreachable"}) {
    const p::Labels labels{{"target", target}, {"health", s}};
    if (epp_health_->Has(labels)) epp_health_->Remove(&epp_health_->Add(labels));
  }
}

std::string Metrics::Serialize() const {
  {
    std::lock_guard lock(budget_mu_);
    if (auto budget = budget_.lock()) {
      buffered_body_bytes_->Set(static_cast<double>(budget->used()));
      buffered_body_limit_->Set(static_cast<double>(budget->limit()));
    }
  }
  return p::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace eppb
