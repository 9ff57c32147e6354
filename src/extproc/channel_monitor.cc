#include "extproc/channel_monitor.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "extproc/epp_health_answer.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "observe/logging.h"
#include "observe/metrics.h"

namespace eppb {
namespace {

namespace health = grpc::health::v1;

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

const char* EppHealthName(EppHealth h) {
  switch (h) {
    case EppHealth::kUnknown:
      return "unknown";
    case EppHealth::kServing:
      return "serving";
    case EppHealth::kNotServing:
      return "not_serving";
    case EppHealth::kUnreachable:
      return "unreachable";
  }
  return "unknown";
}

// Completion-queue tags name the watched channel and the event.
struct ChannelMonitor::Tag {
  enum Kind { kState, kProbeDue, kProbeDone } kind;
  Watched* w;
};

// One channel's watch. Lives until the monitor's queue has drained.
struct ChannelMonitor::Watched {
  std::string target;
  std::shared_ptr<grpc::Channel> channel;
  SharedEppHealth health;
  std::unique_ptr<health::Health::Stub> stub;
  Tag state_tag{Tag::kState, this};
  Tag due_tag{Tag::kProbeDue, this};
  Tag done_tag{Tag::kProbeDone, this};

  // Events armed on the queue and not yet returned; an unwatched channel is
  // freed when this reaches 0.
  int pending = 0;
  bool unwatched = false;

  // Connectivity.
  grpc_connectivity_state last = GRPC_CHANNEL_IDLE;
  bool was_ready = false;  // has been READY at least once

  // Health probe: at most one in flight; the alarm schedules the next.
  grpc::Alarm alarm;
  std::unique_ptr<grpc::ClientContext> probe_ctx;
  std::unique_ptr<grpc::ClientAsyncResponseReader<health::HealthCheckResponse>> probe;
  health::HealthCheckResponse reply;
  grpc::Status status;
};

ChannelMonitor::ChannelMonitor(HealthProbeOptions health)
    : health_(std::move(health)), thread_([this] { Run(); }) {}

ChannelMonitor::~ChannelMonitor() {
  stopping_ = true;
  stop_alarm_.Set(&cq_, std::chrono::system_clock::now(), &stop_alarm_);
  thread_.join();
}

void ChannelMonitor::Watch(std::string target, std::shared_ptr<grpc::Channel> channel,
                           SharedEppHealth health) {
  auto owned = std::make_unique<Watched>();
  Watched* w = owned.get();
  w->target = std::move(target);
  w->channel = std::move(channel);
  w->health = std::move(health);
  w->stub = health::Health::NewStub(w->channel);
  w->last = w->channel->GetState(false);
  // A channel can be READY already (its first stream connected it).
  w->was_ready = w->last == GRPC_CHANNEL_READY;
  Metrics::Get().SetChannelState(w->target, StateName(w->last));
  Metrics::Get().SetEppHealth(w->target, EppHealthName(w->health->load()));
  std::lock_guard lock(mu_);
  if (stopping_) return;
  watched_.push_back(std::move(owned));
  ArmStateWatch(w);
  if (health_.interval.count() > 0) StartProbe(w);
}

void ChannelMonitor::Unwatch(const grpc::Channel* channel) {
  std::lock_guard lock(mu_);
  for (auto& w : watched_) {
    if (w->channel.get() != channel || w->unwatched) continue;
    w->unwatched = true;
    w->alarm.Cancel();
    if (w->probe_ctx) w->probe_ctx->TryCancel();
    Metrics::Get().ForgetEppTarget(w->target);
    return;
  }
}

void ChannelMonitor::ArmStateWatch(Watched* w) {
  ++w->pending;
  // A short deadline bounds how long a stop (or an unwatch) waits for this watch.
  w->channel->NotifyOnStateChange(w->last,
                                  std::chrono::system_clock::now() + std::chrono::milliseconds(250),
                                  &cq_, &w->state_tag);
}

void ChannelMonitor::OnStateChange(Watched* w, bool changed) {
  auto now = w->channel->GetState(false);
  if (changed && now == w->last && now == GRPC_CHANNEL_READY) {
    // It left READY and was back before this thread looked: a reconnect.
    Metrics::Get().CountReconnect(w->target);
    LogEvent(spdlog::level::info, "epp-channel-ready-again", {{"epp", w->target}});
  } else if (now != w->last) {
    if (now == GRPC_CHANNEL_READY && w->was_ready) {
      Metrics::Get().CountReconnect(w->target);
      LogEvent(spdlog::level::info, "epp-channel-ready-again", {{"epp", w->target}});
    } else if (w->last == GRPC_CHANNEL_READY && now == GRPC_CHANNEL_TRANSIENT_FAILURE) {
      LogEvent(spdlog::level::warn, "epp-channel-lost", {{"epp", w->target}});
    } else if (w->last == GRPC_CHANNEL_READY) {
      LogEvent(spdlog::level::info, "epp-channel-state",
               {{"epp", w->target}, {"state", StateName(now)}});
    }
    if (now == GRPC_CHANNEL_READY) w->was_ready = true;
    w->last = now;
    Metrics::Get().SetChannelState(w->target, StateName(now));
  }
  ArmStateWatch(w);
}

void ChannelMonitor::StartProbe(Watched* w) {
  ++w->pending;
  w->probe_ctx = std::make_unique<grpc::ClientContext>();
  w->probe_ctx->set_deadline(std::chrono::system_clock::now() + health_.timeout);
  health::HealthCheckRequest request;
  request.set_service(health_.service);
  w->probe = w->stub->PrepareAsyncCheck(w->probe_ctx.get(), request, &cq_);
  w->probe->StartCall();
  w->probe->Finish(&w->reply, &w->status, &w->done_tag);
}

void ChannelMonitor::OnProbeDone(Watched* w) {
  EppHealth now = EppHealthFromProbe(w->status, w->reply);
  EppHealth before = w->health->exchange(now);
  if (now != before) {
    Metrics::Get().SetEppHealth(w->target, EppHealthName(now));
    if (now == EppHealth::kNotServing) {
      // New requests to it fail at once until it serves again.
      LogEvent(spdlog::level::warn, "epp-health",
               {{"epp", w->target}, {"health", EppHealthName(now)}, {"service", health_.service}});
    } else if (now == EppHealth::kUnreachable) {
      LogEvent(spdlog::level::info, "epp-health",
               {{"epp", w->target},
                {"health", EppHealthName(now)},
                {"error", w->status.error_message()}});
    } else {
      LogEvent(spdlog::level::info, "epp-health",
               {{"epp", w->target}, {"health", EppHealthName(now)}});
    }
  }
  auto next = health_.interval;
  if ((now == EppHealth::kNotServing || now == EppHealth::kUnreachable) &&
      health_.unhealthy_interval.count() > 0) {
    next = std::min(next, health_.unhealthy_interval);
  }
  ++w->pending;
  w->alarm.Set(&cq_, std::chrono::system_clock::now() + next, &w->due_tag);
}

void ChannelMonitor::Dispatch(Watched* w, int kind, bool ok) {
  --w->pending;
  if (w->unwatched) {
    if (w->pending == 0) {
      std::erase_if(watched_, [w](const std::unique_ptr<Watched>& p) { return p.get() == w; });
    }
    return;
  }
  switch (kind) {
    case Tag::kState:
      OnStateChange(w, ok);
      break;
    case Tag::kProbeDue:
      if (ok) StartProbe(w);
      break;
    case Tag::kProbeDone:
      OnProbeDone(w);
      break;
  }
}

void ChannelMonitor::Run() {
  void* raw = nullptr;
  bool ok = false;
  bool shut_down = false;
  while (cq_.Next(&raw, &ok)) {
    if (stopping_ && !shut_down) {
      // Stop: cancel what is pending; every tag still completes, then the
      // queue reports shutdown and the loop ends.
      shut_down = true;
      std::lock_guard lock(mu_);
      for (auto& w : watched_) {
        w->alarm.Cancel();
        if (w->probe_ctx) w->probe_ctx->TryCancel();
      }
      cq_.Shutdown();
    }
    if (raw == &stop_alarm_ || shut_down) continue;
    // Watch() arms a new channel's first events under mu_; taking it here
    // orders that set-up before this thread touches the channel (the
    // completion queue already does, in a way race detectors cannot see).
    std::lock_guard lock(mu_);
    auto* tag = static_cast<Tag*>(raw);
    Dispatch(tag->w, tag->kind, ok);
  }
  std::lock_guard lock(mu_);
  watched_.clear();
}

}  // namespace eppb
