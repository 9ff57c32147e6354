#include "extproc/grpc_ext_proc_client.h"

#include "extproc/grpc_stream.h"

namespace eppb {

GrpcExtProcClient::~GrpcExtProcClient() { CancelAllAndWait(std::chrono::seconds(2)); }

std::shared_ptr<ExtProcStream> GrpcExtProcClient::Start(
    const EppTarget& target, std::shared_ptr<ExtProcStreamCallbacks> callbacks,
    std::chrono::milliseconds max_lifetime, Refusal* refusal) {
  auto entry = registry_->Get(target);
  if (entry == nullptr) {
    *refusal = Refusal::kTooManyTargets;
    return nullptr;
  }
  if (entry->health->load(std::memory_order_relaxed) == EppHealth::kNotServing) {
    *refusal = Refusal::kNotServing;
    return nullptr;
  }
  std::lock_guard lock(mu_);  // held so that OnDone cannot Forget before we remember
  auto stream = GrpcStream::Start(entry->stub.get(), std::move(callbacks), max_lifetime,
                                  [this](GrpcStream* s) { Forget(s); });
  live_.emplace(stream.get(), std::move(entry));
  return stream;
}

void GrpcExtProcClient::Forget(GrpcStream* stream) {
  std::shared_ptr<ChannelRegistry::Entry> entry;  // let go of outside the lock
  std::lock_guard lock(mu_);
  auto it = live_.find(stream);
  if (it == live_.end()) return;
  entry = std::move(it->second);
  live_.erase(it);
  if (live_.empty()) idle_.notify_all();
}

bool GrpcExtProcClient::CancelAllAndWait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  for (const auto& [s, entry] : live_) s->Cancel();
  return idle_.wait_for(lock, timeout, [this] { return live_.empty(); });
}

size_t GrpcExtProcClient::live_streams() const {
  std::lock_guard lock(mu_);
  return live_.size();
}

}  // namespace eppb
