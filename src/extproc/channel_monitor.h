// Watches every EPP channel on one thread and one completion queue:
//  - connectivity: exports the state per target and counts reconnects
//    (READY again after losing it);
//  - health: every `interval` it asks the EPP's grpc.health.v1 service about
//    `service` and publishes the answer to the request path (NOT_SERVING
//    makes new requests fail at once instead of queueing at an EPP that says
//    it cannot pick) and to /metrics.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/defaults.h"
#include "extproc/epp_health.h"

namespace eppb {

struct HealthProbeOptions {
  std::chrono::milliseconds interval{5000};  // 0: no probing (health stays unknown)
  // The cadence while the last answer was NOT_SERVING or no answer came, so
  // that a recovered EPP is used again soon (never slower than `interval`).
  std::chrono::milliseconds unhealthy_interval{1000};
  std::chrono::milliseconds timeout{1000};
  // GIE's EPP answers for the ext_proc service name (and for "").
  std::string service = kExtProcService;
};

class ChannelMonitor {
 public:
  explicit ChannelMonitor(HealthProbeOptions health = {});
  ~ChannelMonitor();  // stops the thread; returns within about 250 ms
  void Watch(std::string target, std::shared_ptr<grpc::Channel> channel, SharedEppHealth health);
  // Stops watching `channel` (an evicted target) and drops its series from
  // /metrics; its watch is freed once its pending events have come back.
  void Unwatch(const grpc::Channel* channel);

 private:
  struct Watched;
  struct Tag;
  void ArmStateWatch(Watched* w);
  void OnStateChange(Watched* w, bool changed);  // changed: not the watch deadline
  void StartProbe(Watched* w);
  void OnProbeDone(Watched* w);
  void Dispatch(Watched* w, int kind, bool ok);  // mu_ held; one completed event
  void Run();

  const HealthProbeOptions health_;
  grpc::CompletionQueue cq_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Watched>> watched_;  // owned here; freed after the queue drains
  std::atomic<bool> stopping_{false};
  grpc::Alarm stop_alarm_;  // wakes the thread for the shutdown
  std::thread thread_;
};

}  // namespace eppb
