#include "extproc/grpc_ext_proc_client.h"

#include <vector>

#include "extproc/grpc_stream.h"

namespace eppb {

GrpcExtProcClient::GrpcExtProcClient(ChannelRegistry* registry)
    : registry_(registry), live_(std::make_shared<Live>()) {}

GrpcExtProcClient::~GrpcExtProcClient() { CancelWhatIsLeft(); }

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
  // Held while starting so that the stream's end cannot be forgotten before
  // it is remembered; GrpcStream::Start calls nothing of ours.
  std::lock_guard lock(live_->mu);
  auto stream = GrpcStream::Start(
      entry->stub.get(), std::move(callbacks), max_lifetime, [live = live_](GrpcStream* s) {
        std::shared_ptr<ChannelRegistry::Entry> entry;  // freed unlocked
        std::lock_guard l(live->mu);
        auto it = live->streams.find(s);
        if (it == live->streams.end()) return;
        entry = std::move(it->second.entry);
        live->streams.erase(it);
        if (live->streams.empty()) live->idle.notify_all();
      });
  live_->streams.emplace(stream.get(), Live::Stream{stream, std::move(entry)});
  return stream;
}

void GrpcExtProcClient::CancelAll() {
  std::vector<std::shared_ptr<GrpcStream>> all;
  {
    std::lock_guard lock(live_->mu);
    for (auto& [raw, s] : live_->streams) {
      if (auto strong = s.stream.lock()) all.push_back(std::move(strong));
    }
  }
  for (auto& s : all) s->Cancel();
}

bool GrpcExtProcClient::CancelAllAndWait(std::chrono::milliseconds timeout) {
  CancelAll();
  std::unique_lock lock(live_->mu);
  return live_->idle.wait_for(lock, timeout, [this] { return live_->streams.empty(); });
}

size_t GrpcExtProcClient::live_streams() const {
  std::lock_guard lock(live_->mu);
  return live_->streams.size();
}

}  // namespace eppb
