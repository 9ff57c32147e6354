// One long-lived gRPC channel per EPP target, shared by every request.
// Channels are created on first use and keep reconnecting with backoff while
// the EPP is down. When --max-epp-targets are in use, a new target evicts the
// least recently used idle one (no stream open, nobody holding its entry).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/defaults.h"
#include "common/epp_target.h"
#include "common/tls_config.h"
#include "envoy/service/ext_proc/v3/external_processor.grpc.pb.h"
#include "extproc/channel_monitor.h"

namespace eppb {

struct ChannelOptions {
  int max_receive_bytes = 8 << 20;
  int initial_backoff_ms = 100;
  int max_backoff_ms = 5000;
  int keepalive_ms = static_cast<int>(kDefaultEppKeepalive.count());
  int keepalive_timeout_ms = static_cast<int>(kDefaultEppKeepaliveTimeout.count());
  // gRPC's minimum connect timeout (GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: each
  // attempt may take the larger of it and the backoff).
  int connect_timeout_ms = static_cast<int>(kDefaultEppConnectTimeout.count());
  size_t max_targets = 64;
  HealthProbeOptions health;
};

class ChannelRegistry {
 public:
  // Loads certificate files; returns nullptr with *error set when they are
  // unreadable (a fatal startup error).
  static std::unique_ptr<ChannelRegistry> Create(const TlsConfig& tls, ChannelOptions options,
                                                 std::string* error);

  struct Entry {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<envoy::service::ext_proc::v3::ExternalProcessor::Stub> stub;
    SharedEppHealth health;  // the EPP's last health answer (channel monitor)
  };
  // The entry for a target, or nullptr when every slot is in use. Whoever
  // holds the returned pointer (a stream, for its whole life) keeps the entry
  // from being evicted.
  std::shared_ptr<Entry> Get(const EppTarget& target);
  size_t size() const;

 private:
  ChannelRegistry(std::shared_ptr<grpc::ChannelCredentials> creds, std::string server_name,
                  ChannelOptions options);

  ChannelMonitor monitor_;  // declared first: outlives the channels it watches
  std::vector<std::shared_ptr<void>> keep_alive_;  // TLS verifier/provider; outlive channels
  std::shared_ptr<grpc::ChannelCredentials> creds_;
  std::string server_name_;
  ChannelOptions options_;
  struct Slot {
    std::shared_ptr<Entry> entry;
    uint64_t last_used = 0;  // a tick of use_clock_
  };
  // mu_ held: frees the least recently used slot nobody else holds; false when none.
  bool EvictIdleLocked();

  mutable std::mutex mu_;
  std::unordered_map<std::string, Slot> entries_;
  uint64_t use_clock_ = 0;
};

}  // namespace eppb
