// The ext_proc service of the development EPP: shared picker, options and
// the record of past streams.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <unordered_set>

#include "devepp/dev_epp_options.h"
#include "devepp/picker.h"
#include "devepp/recorder.h"
#include "envoy/service/ext_proc/v3/external_processor.grpc.pb.h"

namespace eppb {

class DevEppStream;

class DevEppService final
    : public envoy::service::ext_proc::v3::ExternalProcessor::CallbackService {
 public:
  explicit DevEppService(const DevEppOptions& options)
      : options_(options), picker_(options.endpoints, options.policy) {}

  grpc::ServerBidiReactor<envoy::service::ext_proc::v3::ProcessingRequest,
                          envoy::service::ext_proc::v3::ProcessingResponse>*
  Process(grpc::CallbackServerContext* ctx) override;

  const DevEppOptions& options() const { return options_; }
  Picker& picker() { return picker_; }
  Recorder& recorder() { return recorder_; }
  std::atomic<int>& open_streams() { return open_streams_; }
  // Request body messages received, over every stream (any thread).
  void CountBodyMessage() { body_messages_.fetch_add(1, std::memory_order_relaxed); }
  size_t body_messages() const { return body_messages_.load(std::memory_order_relaxed); }

  // Live streams, so that shutdown can end the ones a fault keeps open
  // (`ignore-half-close`, `endless-body`) instead of waiting for them.
  void Track(DevEppStream* stream);
  void Untrack(DevEppStream* stream);
  void EndKeptStreams();

 private:
  DevEppOptions options_;
  Picker picker_;
  Recorder recorder_;
  std::atomic<int> open_streams_{0};
  std::atomic<size_t> body_messages_{0};
  std::mutex streams_mu_;  // taken before a stream's own mutex, never after
  std::unordered_set<DevEppStream*> streams_;
};

}  // namespace eppb
