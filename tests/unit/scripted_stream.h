// A scripted ext_proc transport for driving an Exchange in unit tests: the
// stream records what the exchange sends, and the test delivers replies and
// the stream's end itself, as gRPC's threads would (the exchange posts each
// to its executor, which the test runs by hand).
#pragma once

#include <grpcpp/support/status.h>

#include <memory>
#include <optional>
#include <vector>

#include "extproc/ext_proc_stream.h"

namespace eppb::testing {

class ScriptedStream final : public ExtProcStream {
 public:
  // The exchange's side.
  void Send(const extproc::ProcessingRequest& message) override {
    if (!ended && !half_closed && !cancelled) sent.push_back(message);
  }
  void Close() override {
    if (!ended && !cancelled) half_closed = true;
  }
  void SendLast(const extproc::ProcessingRequest& message) override {
    Send(message);
    Close();
  }
  void Cancel() override {
    if (!ended) cancelled = true;
  }

  // The transport's side.
  void Reply(extproc::ProcessingResponse reply) { callbacks->OnReply(std::move(reply)); }
  void End(grpc::Status status = grpc::Status::OK) {
    ended = true;
    auto cb = std::move(callbacks);
    cb->OnStreamDone(status);
  }

  std::shared_ptr<ExtProcStreamCallbacks> callbacks;
  std::vector<extproc::ProcessingRequest> sent;
  bool half_closed = false;
  bool cancelled = false;
  bool ended = false;
};

class ScriptedClient final : public ExtProcClient {
 public:
  std::shared_ptr<ExtProcStream> Start(const EppTarget&,
                                       std::shared_ptr<ExtProcStreamCallbacks> callbacks,
                                       std::chrono::milliseconds, Refusal* refusal) override {
    if (refuse) {
      *refusal = *refuse;
      return nullptr;
    }
    auto s = std::make_shared<ScriptedStream>();
    s->callbacks = std::move(callbacks);
    streams.push_back(s);
    if (fail_at_start) s->End(*fail_at_start);  // before Start returns
    return s;
  }
  // Shutdown's cancel of every stream.
  void CancelAll() {
    for (auto& s : streams) s->Cancel();
  }

  std::optional<Refusal> refuse;
  std::optional<grpc::Status> fail_at_start;
  std::vector<std::shared_ptr<ScriptedStream>> streams;
};

// What an llm-d-like EPP answers: the headers reply with the destination,
// then the body echoed with end_of_stream.
inline extproc::ProcessingResponse PickReply(const std::string& endpoint) {
  extproc::ProcessingResponse r;
  auto* h = r.mutable_request_headers()
                ->mutable_response()
                ->mutable_header_mutation()
                ->add_set_headers()
                ->mutable_header();
  h->set_key("x-gateway-destination-endpoint");
  h->set_raw_value(endpoint);
  return r;
}

inline extproc::ProcessingResponse BodyEcho(const std::string& data, bool eos) {
  extproc::ProcessingResponse r;
  auto* s = r.mutable_request_body()
                ->mutable_response()
                ->mutable_body_mutation()
                ->mutable_streamed_response();
  s->set_body(data);
  s->set_end_of_stream(eos);
  return r;
}

}  // namespace eppb::testing
