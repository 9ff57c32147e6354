#include "h2/h2_ext_proc_client.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <vector>

#include "h2/h2_stream.h"
#include "h2/h2_target_pool.h"
#include "h2/h2_tls_context.h"
#include "observe/entry_guard.h"
#include "observe/logging.h"
#include "observe/metrics.h"

namespace eppb {

std::unique_ptr<H2ExtProcClient> H2ExtProcClient::Create(boost::asio::io_context& io,
                                                         const TlsConfig& tls,
                                                         H2ClientOptions options,
                                                         std::string* error) {
  std::string tls_error;
  auto ctx = MakeH2TlsContext(tls, &tls_error);
  if (!ctx && !tls.disable_tls) {
    *error = tls_error;
    return nullptr;
  }
  return std::unique_ptr<H2ExtProcClient>(
      new H2ExtProcClient(io, std::move(ctx), tls.disable_tls ? "" : tls.server_name, options));
}

H2ExtProcClient::H2ExtProcClient(boost::asio::io_context& io,
                                 std::shared_ptr<boost::asio::ssl::context> tls,
                                 std::string server_name, H2ClientOptions options)
    : io_(io),
      tls_(std::move(tls)),
      server_name_(std::move(server_name)),
      options_(options),
      live_(std::make_shared<Live>()) {}

H2ExtProcClient::~H2ExtProcClient() { CancelWhatIsLeft(); }

std::shared_ptr<ExtProcStream> H2ExtProcClient::Start(
    const EppTarget& target, std::shared_ptr<ExtProcStreamCallbacks> callbacks,
    std::chrono::milliseconds max_lifetime, Refusal* refusal) {
  std::shared_ptr<H2TargetPool> pool;
  {
    std::lock_guard lock(mu_);
    std::string key = target.Key();
    auto it = pools_.find(key);
    if (it == pools_.end()) {
      if (pools_.size() >= options_.max_targets && !EvictIdleLocked()) {
        *refusal = Refusal::kTooManyTargets;
        return nullptr;
      }
      it = pools_
               .emplace(key,
                        std::make_shared<H2TargetPool>(io_, target, tls_, server_name_, options_))
               .first;
      boost::asio::post(it->second->strand(),
                        [pool = it->second] { Guarded("h2-pool-start", [&] { pool->Start(); }); });
    }
    pool = it->second;
    if (pool->health() == EppHealth::kNotServing) {
      *refusal = Refusal::kNotServing;
      return nullptr;
    }
    pool->live().fetch_add(1);  // under mu_: eviction sees it
  }
  {
    std::lock_guard lock(live_->mu);
    ++live_->streams;
  }
  std::weak_ptr<H2TargetPool> weak = pool;
  auto stream = std::make_shared<H2Stream>(pool->strand(), std::move(callbacks), max_lifetime,
                                           options_, [weak, live = live_] {
                                             if (auto p = weak.lock()) p->live().fetch_sub(1);
                                             std::lock_guard lock(live->mu);
                                             if (--live->streams == 0) live->idle.notify_all();
                                           });
  boost::asio::post(pool->strand(), [pool, stream] {
    Guarded(
        "h2-open", [&] { pool->Open(stream); },
        [&] { stream->Fail(grpc::Status(grpc::StatusCode::INTERNAL, "internal error")); });
  });
  return stream;
}

bool H2ExtProcClient::EvictIdleLocked() {
  for (auto it = pools_.begin(); it != pools_.end(); ++it) {
    if (it->second->live().load() != 0) continue;
    LogEventLimited(spdlog::level::info, "epp-target-evicted", {{"epp", it->first}});
    Metrics::Get().CountEppTargetEviction();
    auto pool = std::move(it->second);
    // Under mu_: a new pool for this target is only made after this.
    pool->Retire();
    Metrics::Get().ForgetEppTarget(it->first);
    pools_.erase(it);
    boost::asio::post(pool->strand(), [pool] { Guarded("h2-evict", [&] { pool->CancelAll(); }); });
    return true;
  }
  return false;
}

void H2ExtProcClient::CancelAll() {
  std::vector<std::shared_ptr<H2TargetPool>> pools;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, pool] : pools_) pools.push_back(pool);
  }
  for (auto& pool : pools) {
    if (io_.stopped()) {
      // Nothing runs the strands any more: this thread is their only user.
      Guarded("h2-shutdown", [&] { pool->ShutdownNow(); });
    } else {
      boost::asio::post(pool->strand(),
                        [pool] { Guarded("h2-cancel-all", [&] { pool->CancelAll(); }); });
    }
  }
}

bool H2ExtProcClient::CancelAllAndWait(std::chrono::milliseconds timeout) {
  CancelAll();
  std::unique_lock lock(live_->mu);
  if (io_.stopped()) return live_->streams == 0;
  return live_->idle.wait_for(lock, timeout, [this] { return live_->streams == 0; });
}

size_t H2ExtProcClient::live_streams() const {
  std::lock_guard lock(live_->mu);
  return live_->streams;
}

size_t H2ExtProcClient::targets() const {
  std::lock_guard lock(mu_);
  return pools_.size();
}

}  // namespace eppb
