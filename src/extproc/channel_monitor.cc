#include "extproc/channel_monitor.h"

#include <spdlog/spdlog.h>

#include "observe/metrics.h"

namespace eppb {
namespace {

const char* StateName(grpc_connectivity_state s) {
  switch (s) {
    case GRPC_CHANNEL_IDLE:
      return "idle";
    case GRPC_CHANNEL_CONNECTING:
      return "connecting";
    case GRPC_CHANNEL_READY:
      return "ready";
    case GRPC_CHANNEL_TRANSIENT_FAILURE:
      return "transient_failure";
    case GRPC_CHANNEL_SHUTDOWN:
      return "shutdown";
  }
  return "unknown";
}

}  // namespace

struct ChannelMonitor::WatchedChannel {
  std::string target;
  std::shared_ptr<grpc::Channel> channel;
  grpc_connectivity_state last = GRPC_CHANNEL_IDLE;
  bool was_ready = false;  // has been READY at least once
};

ChannelMonitor::ChannelMonitor() : thread_([this] { Run(); }) {}

ChannelMonitor::~ChannelMonitor() {
  stopping_ = true;
  thread_.join();  // every watch re-arms with a 250 ms deadline, so this is prompt
}

void ChannelMonitor::Watch(std::string target, std::shared_ptr<grpc::Channel> channel) {
  auto* w = new WatchedChannel{std::move(target), std::move(channel)};
  w->last = w->channel->GetState(false);
  Metrics::Get().SetChannelState(w->target, StateName(w->last));
  Arm(w);
}

void ChannelMonitor::Arm(WatchedChannel* w) {
  w->channel->NotifyOnStateChange(
      w->last, std::chrono::system_clock::now() + std::chrono::milliseconds(250), &cq_, w);
}

void ChannelMonitor::Run() {
  void* tag = nullptr;
  bool ok = false;
  bool shut_down = false;
  while (true) {
    auto status = cq_.AsyncNext(&tag, &ok, std::chrono::system_clock::now() +
                                              std::chrono::milliseconds(100));
    if (status == grpc::CompletionQueue::SHUTDOWN) return;
    if (status == grpc::CompletionQueue::TIMEOUT) {
      if (stopping_ && !shut_down) {
        shut_down = true;
        cq_.Shutdown();  // pending watches still complete (their deadlines are short)
      }
      continue;
    }
    auto* w = static_cast<WatchedChannel*>(tag);
    if (stopping_) {
      delete w;
      continue;
    }
    auto now = w->channel->GetState(false);
    if (now != w->last) {
      if (now == GRPC_CHANNEL_READY && w->was_ready) {
        Metrics::Get().CountReconnect(w->target);
        spdlog::info("epp={} channel ready again", w->target);
      } else if (w->last == GRPC_CHANNEL_READY && now == GRPC_CHANNEL_TRANSIENT_FAILURE) {
        spdlog::warn("epp={} channel lost its connection", w->target);
      } else if (w->last == GRPC_CHANNEL_READY) {
        spdlog::info("epp={} channel is {}", w->target, StateName(now));
      }
      if (now == GRPC_CHANNEL_READY) w->was_ready = true;
      w->last = now;
      Metrics::Get().SetChannelState(w->target, StateName(now));
    }
    Arm(w);
  }
}

}  // namespace eppb
