// One ext_proc stream served by the development EPP, behaving like
// llm-d-router: it buffers the request body until end_of_stream, then sends
// the headers reply (destination + echo of every header) and streams the
// body back in chunks; response-phase messages are answered at once.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <deque>
#include <memory>
#include <mutex>

#include "devepp/fault.h"
#include "devepp/picker.h"
#include "devepp/stream_record.h"
#include "envoy/service/ext_proc/v3/external_processor.grpc.pb.h"

namespace eppb {

class DevEppService;
namespace extproc = envoy::service::ext_proc::v3;

class DevEppStream final
    : public grpc::ServerBidiReactor<extproc::ProcessingRequest, extproc::ProcessingResponse> {
 public:
  DevEppStream(DevEppService* service, grpc::CallbackServerContext* ctx);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;  // the one place the stream is deleted

  // Server shutdown: ends the stream if a fault keeps it open on purpose.
  void EndIfKeptOpen();

 private:
  enum class State {
    kReceiving,  // collecting request headers and body
    kDeciding,   // body complete; decision pending (maybe delayed)
    kDecided,    // decision sent; only response-phase messages expected
    kFinished,   // Finish() called or pending the last write
  };

  void Handle(const extproc::ProcessingRequest& msg);
  void Decide();
  void DecideNow(const Fault& fault);
  void ReplyDecision(const std::vector<Endpoint>& endpoints, const Fault& fault);
  void ReplyImmediate(int status, const std::string& body,
                      const std::vector<HeaderPair>& extra = {});
  void SendEndlessChunk();  // mu_ held
  bool RewriteBody(std::string* body, std::string* error) const;
  void Send(extproc::ProcessingResponse msg);  // mu_ held
  void FinishLocked(grpc::Status status);      // mu_ held
  std::string Header(const std::string& key) const;

  DevEppService* service_;
  grpc::CallbackServerContext* ctx_;
  extproc::ProcessingRequest in_;
  grpc::Alarm alarm_;
  Fault delayed_;  // the decision's faults while `delay=` holds it (alarm_pending_)

  std::mutex mu_;
  State state_ = State::kReceiving;
  StreamRecord record_;
  std::string body_;
  std::unique_ptr<Picker::Lease> lease_;
  std::deque<extproc::ProcessingResponse> out_;  // front is being written
  bool writing_ = false;
  std::optional<grpc::Status> finish_;  // Finish once the queue drains
  bool finished_ = false;
  bool alarm_pending_ = false;      // a delayed decision is armed
  bool cancelled_ = false;          // the client cancelled; unwritten replies are dropped
  bool read_closed_ = false;        // the client half-closed
  bool done_ = false;               // OnDone ran; the alarm callback must delete
  bool ignore_half_close_ = false;  // fault: stay open after the client half-closes
  bool endless_ = false;            // fault: body replies without end
  uint64_t endless_seq_ = 0;        // body replies sent so far in endless mode
};

}  // namespace eppb
