// Watches the connectivity of every EPP channel: exports the current state
// per target and counts reconnects (READY again after losing it). One thread
// and one completion queue for all channels.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

namespace eppb {

class ChannelMonitor {
 public:
  ChannelMonitor();
  ~ChannelMonitor();  // stops the thread; call after the channels are gone or not
  void Watch(std::string target, std::shared_ptr<grpc::Channel> channel);

 private:
  struct WatchedChannel;
  void Arm(WatchedChannel* w);
  void Run();

  grpc::CompletionQueue cq_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace eppb
