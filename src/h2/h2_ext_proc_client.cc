#include "h2/h2_ext_proc_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <vector>

#include "h2/h2_stream.h"
#include "h2/h2_target_pool.h"
#include "h2/h2_tls_context.h"
#include "observe/entry_guard.h"
#include "observe/logging.h"
#include "observe/metrics.h"

namespace eppb {

std::unique_ptr<H2ExtProcClient> H2ExtProcClient::Create(WorkerLoops& loops, const TlsConfig& tls,
                                                         H2ClientOptions options,
                                                         std::string* error) {
  std::string tls_error;
  auto ctx = MakeH2TlsContext(tls, &tls_error);
  if (!ctx && !tls.disable_tls) {
    *error = tls_error;
    return nullptr;
  }
  return std::unique_ptr<H2ExtProcClient>(
      new H2ExtProcClient(loops, std::move(ctx), tls.disable_tls ? "" : tls.server_name, options));
}

H2ExtProcClient::H2ExtProcClient(WorkerLoops& loops, std::shared_ptr<boost::asio::ssl::context> tls,
                                 std::string server_name, H2ClientOptions options)
    : loops_(loops),
      tls_(std::move(tls)),
      server_name_(std::move(server_name)),
      options_(options),
      live_(std::make_shared<Live>()) {}

H2ExtProcClient::~H2ExtProcClient() { CancelWhatIsLeft(); }

std::shared_ptr<ExtProcStream> H2ExtProcClient::Start(
    const EppTarget& target, std::shared_ptr<ExtProcStreamCallbacks> callbacks,
    std::chrono::milliseconds max_lifetime, Refusal* refusal) {
  int current = loops_.Current();
  unsigned worker = current < 0 ? 0 : static_cast<unsigned>(current);
  std::shared_ptr<H2TargetPool> pool;
  std::shared_ptr<H2TargetState> shared;
  {
    std::lock_guard lock(mu_);
    std::string key = target.Key();
    auto it = targets_.find(key);
    if (it == targets_.end()) {
      if (targets_.size() >= options_.max_targets && !EvictIdleLocked()) {
        *refusal = Refusal::kTooManyTargets;
        return nullptr;
      }
      Target fresh;
      fresh.shared = std::make_shared<H2TargetState>(key);
      fresh.pools.resize(loops_.size());
      it = targets_.emplace(key, std::move(fresh)).first;
    }
    Target& t = it->second;
    if (t.shared->health()->load(std::memory_order_relaxed) == EppHealth::kNotServing) {
      *refusal = Refusal::kNotServing;
      return nullptr;
    }
    pool = t.pools[worker];
    if (!pool) {
      // The target's first pool probes its health for all of them.
      bool probes = std::none_of(t.pools.begin(), t.pools.end(), [](auto& p) { return p; });
      pool = t.pools[worker] = std::make_shared<H2TargetPool>(
          loops_.at(worker), target, tls_, server_name_, options_, t.shared, probes);
      boost::asio::dispatch(pool->loop(),
                            [pool] { Guarded("h2-pool-start", [&] { pool->Start(); }); });
    }
    shared = t.shared;
    shared->live().fetch_add(1);  // under mu_: eviction sees it
  }
  {
    std::lock_guard lock(live_->mu);
    ++live_->streams;
  }
  auto stream = std::make_shared<H2Stream>(pool->loop(), std::move(callbacks), max_lifetime,
                                           options_, [shared, live = live_] {
                                             shared->live().fetch_sub(1);
                                             std::lock_guard lock(live->mu);
                                             if (--live->streams == 0) live->idle.notify_all();
                                           });
  // On the caller's own loop this runs at once: no hand-off between threads.
  boost::asio::dispatch(pool->loop(), [pool, stream] {
    Guarded(
        "h2-open", [&] { pool->Open(stream); },
        [&] { stream->Fail(grpc::Status(grpc::StatusCode::INTERNAL, "internal error")); });
  });
  return stream;
}

bool H2ExtProcClient::EvictIdleLocked() {
  for (auto it = targets_.begin(); it != targets_.end(); ++it) {
    if (it->second.shared->live().load() != 0) continue;
    LogEventLimited(spdlog::level::info, "epp-target-evicted", {{"epp", it->first}});
    Metrics::Get().CountEppTargetEviction();
    Target gone = std::move(it->second);
    // Under mu_: a new state for this target is only made after this.
    gone.shared->Retire();
    Metrics::Get().ForgetEppTarget(it->first);
    targets_.erase(it);
    for (auto& pool : gone.pools) {
      if (!pool) continue;
      boost::asio::post(pool->loop(), [pool] { Guarded("h2-evict", [&] { pool->CancelAll(); }); });
    }
    return true;
  }
  return false;
}

void H2ExtProcClient::CancelAll() {
  std::vector<std::shared_ptr<H2TargetPool>> pools;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, target] : targets_) {
      for (auto& pool : target.pools) {
        if (pool) pools.push_back(pool);
      }
    }
  }
  for (auto& pool : pools) {
    if (loops_.stopped()) {
      // Nothing runs the loops any more: this thread is their only user.
      Guarded("h2-shutdown", [&] { pool->ShutdownNow(); });
    } else {
      boost::asio::post(pool->loop(),
                        [pool] { Guarded("h2-cancel-all", [&] { pool->CancelAll(); }); });
    }
  }
}

bool H2ExtProcClient::CancelAllAndWait(std::chrono::milliseconds timeout) {
  CancelAll();
  std::unique_lock lock(live_->mu);
  if (loops_.stopped()) return live_->streams == 0;
  return live_->idle.wait_for(lock, timeout, [this] { return live_->streams == 0; });
}

size_t H2ExtProcClient::live_streams() const {
  std::lock_guard lock(live_->mu);
  return live_->streams;
}

size_t H2ExtProcClient::targets() const {
  std::lock_guard lock(mu_);
  return targets_.size();
}

}  // namespace eppb
