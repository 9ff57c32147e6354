// Micro-benchmarks of the bridge's per-request hot path (Google Benchmark):
// building the ext_proc messages, their wire encoding, decoding and reading
// the EPP's replies, and parsing endpoints. Inputs mirror what NGINX and an
// llm-d-router-like EPP send for a chat completion (docs/benchmarks.md).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "common/bridge_request.h"
#include "common/endpoint.h"
#include "extproc/message_builder.h"
#include "extproc/metadata_keys.h"
#include "extproc/reply_interpreter.h"

namespace eppb {
namespace {

constexpr const char* kChat =
    R"({"model":"meta-llama/Llama-3.1-8B-Instruct","messages":[{"role":"system","content":)"
    R"("You are a helpful assistant."},{"role":"user","content":"Write a haiku about )"
    R"(load balancers."}],"max_tokens":128,"temperature":0.7,"stream":false})";

// The request NGINX's subrequest produces: pseudo-headers, the client's
// headers as NGINX forwards them, and the body.
BridgeRequest MakeRequest(size_t body_bytes, bool subset) {
  BridgeRequest r;
  r.target.host = "127.0.0.1";
  r.target.port = 9002;
  r.request_id = "5f0c6a1e9b2d4c7a8e3f1b0d2c4a6e8f";
  r.headers = {
      {":method", "POST"},
      {":path", "/v1/chat/completions"},
      {":authority", "gateway.example.com"},
      {":scheme", "http"},
      {"content-type", "application/json"},
      {"accept", "application/json"},
      {"user-agent", "openai-python/1.51.0"},
      {"authorization", "Bearer sk-0123456789abcdef0123456789abcdef"},
      {"x-forwarded-for", "10.1.2.3"},
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      {"x-request-id", r.request_id},
  };
  if (body_bytes <= std::string(kChat).size()) {
    r.body = kChat;
  } else {
    r.body.assign(body_bytes, 'a');
  }
  r.headers.push_back({"content-length", std::to_string(r.body.size())});
  if (subset) r.subset = {"10.0.0.1:8000", "10.0.0.2:8000", "10.0.0.3:8000"};
  return r;
}

// --- message building ---------------------------------------------------------

void BM_BuildMessages_Chat(benchmark::State& state) {
  BridgeRequest req = MakeRequest(0, state.range(0) != 0);
  MessageBuilder builder(64 * 1024);
  size_t n = 0;
  for (auto _ : state) {
    builder.Build(req, [&](const extproc::ProcessingRequest& m) {
      benchmark::DoNotOptimize(m);
      ++n;
    });
  }
  state.counters["messages/req"] = static_cast<double>(n) / state.iterations();
  state.SetLabel(state.range(0) ? "with subset hint" : "no subset hint");
}
BENCHMARK(BM_BuildMessages_Chat)->Arg(0)->Arg(1);

void BM_BuildMessages_4MiB(benchmark::State& state) {
  BridgeRequest req = MakeRequest(4u << 20, false);
  MessageBuilder builder(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    builder.Build(req, [&](const extproc::ProcessingRequest& m) { benchmark::DoNotOptimize(m); });
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * req.body.size());
  state.SetLabel("chunk " + std::to_string(state.range(0) / 1024) + " KiB");
}
BENCHMARK(BM_BuildMessages_4MiB)
    ->Arg(16 << 10)
    ->Arg(64 << 10)
    ->Arg(256 << 10)
    ->Arg(1 << 20)
    ->Unit(benchmark::kMicrosecond);

// What gRPC does with each built message on the way out.
void BM_SerializeMessages_Chat(benchmark::State& state) {
  BridgeRequest req = MakeRequest(0, true);
  std::vector<extproc::ProcessingRequest> msgs;
  MessageBuilder(64 * 1024).Build(req, [&](const auto& m) { msgs.push_back(m); });
  std::string out;
  for (auto _ : state) {
    for (const auto& m : msgs) {
      out.clear();
      m.SerializeToString(&out);
      benchmark::DoNotOptimize(out);
    }
  }
}
BENCHMARK(BM_SerializeMessages_Chat);

// --- reply reading -------------------------------------------------------------

// The EPP's decision: destination header, envoy.lb metadata, an echo of
// every request header (as llm-d-router sends), then the body streamed back.
std::vector<extproc::ProcessingResponse> MakeReplies(const BridgeRequest& req, size_t chunk) {
  std::vector<extproc::ProcessingResponse> out;
  extproc::ProcessingResponse h;
  auto* common = h.mutable_request_headers()->mutable_response();
  common->set_clear_route_cache(true);
  auto* mut = common->mutable_header_mutation();
  auto add = [&](const std::string& k, const std::string& v) {
    auto* hv = mut->add_set_headers()->mutable_header();
    hv->set_key(k);
    hv->set_raw_value(v);
  };
  add(kDestinationHeader, "10.0.0.2:8000");
  add("content-length", std::to_string(req.body.size()));
  for (const auto& hp : req.headers) {
    if (hp.key != "content-length") add(hp.key, hp.value);
  }
  auto& lb = (*h.mutable_dynamic_metadata()->mutable_fields())[kLbNamespace];
  (*lb.mutable_struct_value()->mutable_fields())[kDestinationKey].set_string_value("10.0.0.2:8000");
  out.push_back(std::move(h));
  for (size_t off = 0; off < req.body.size(); off += chunk) {
    size_t n = std::min(chunk, req.body.size() - off);
    extproc::ProcessingResponse b;
    auto* s = b.mutable_request_body()
                  ->mutable_response()
                  ->mutable_body_mutation()
                  ->mutable_streamed_response();
    s->set_body(req.body.data() + off, n);
    s->set_end_of_stream(off + n == req.body.size());
    out.push_back(std::move(b));
  }
  return out;
}

// The interpreter over the replies to a request with a body of `body_bytes`,
// echoed in 62,000-byte chunks: must give a plain pick.
void InterpretReplies(benchmark::State& state, size_t body_bytes) {
  auto req = std::make_shared<const BridgeRequest>(MakeRequest(body_bytes, false));
  auto replies = MakeReplies(*req, 62000);
  for (auto _ : state) {
    ReplyInterpreter interp(req, 64u << 20);
    for (const auto& r : replies) {
      if (interp.OnReply(r) == ReplyInterpreter::Step::kDone) break;
    }
    BridgeAnswer a = interp.TakeAnswer();
    if (a.outcome != Outcome::kPicked || a.body_mutated) state.SkipWithError("bad answer");
    benchmark::DoNotOptimize(a);
  }
}

void BM_InterpretReplies_Chat(benchmark::State& state) { InterpretReplies(state, 0); }
BENCHMARK(BM_InterpretReplies_Chat);

void BM_InterpretReplies_4MiB(benchmark::State& state) {
  InterpretReplies(state, 4u << 20);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * (4 << 20));
}
BENCHMARK(BM_InterpretReplies_4MiB)->Unit(benchmark::kMicrosecond);

// What gRPC does with each reply on the way in.
void BM_ParseReplies_Chat(benchmark::State& state) {
  auto req = MakeRequest(0, false);
  std::vector<std::string> wire;
  for (const auto& r : MakeReplies(req, 62000)) wire.push_back(r.SerializeAsString());
  extproc::ProcessingResponse msg;
  for (auto _ : state) {
    for (const auto& w : wire) {
      msg.Clear();
      msg.ParseFromString(w);
      benchmark::DoNotOptimize(msg);
    }
  }
}
BENCHMARK(BM_ParseReplies_Chat);

// --- endpoint parsing ------------------------------------------------------------

void BM_ParseEndpoint(benchmark::State& state, const char* text) {
  std::string err;
  for (auto _ : state) {
    auto e = ParseEndpoint(text, &err);
    if (!e) state.SkipWithError("rejected");
    benchmark::DoNotOptimize(e);
  }
}
BENCHMARK_CAPTURE(BM_ParseEndpoint, ipv4, "10.0.0.2:8000");
BENCHMARK_CAPTURE(BM_ParseEndpoint, ipv6, "[fd00:10:244::1a]:8000");

void BM_ParseEndpointList(benchmark::State& state, const char* text) {
  std::string err;
  std::vector<Endpoint> out;
  for (auto _ : state) {
    if (!ParseEndpointList(text, &out, &err)) state.SkipWithError("rejected");
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK_CAPTURE(BM_ParseEndpointList, one, "10.0.0.2:8000");
BENCHMARK_CAPTURE(BM_ParseEndpointList, three, "10.0.0.2:8000,10.0.0.3:8000, 10.0.0.4:8000");

void BM_ParseSubsetList(benchmark::State& state) {
  std::string err;
  std::vector<SubsetToken> out;
  for (auto _ : state) {
    if (!ParseSubsetList("10.0.0.1,10.0.0.2:8000,[fd00::3]:8000", &out, &err)) {
      state.SkipWithError("rejected");
    }
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ParseSubsetList);

void BM_JoinEndpoints(benchmark::State& state) {
  std::vector<Endpoint> list = {
      {"10.0.0.2", 8000, false}, {"10.0.0.3", 8000, false}, {"fd00::4", 8000, true}};
  for (auto _ : state) {
    std::string s = JoinEndpoints(list);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_JoinEndpoints);

// The whole CPU side of one small exchange outside gRPC's transport: build and
// encode the request messages, decode and read the replies, render nothing.
void BM_HotPath_Chat(benchmark::State& state) {
  auto req = std::make_shared<const BridgeRequest>(MakeRequest(0, false));
  std::vector<std::string> wire;
  for (const auto& r : MakeReplies(*req, 62000)) wire.push_back(r.SerializeAsString());
  MessageBuilder builder(64 * 1024);
  std::string out;
  for (auto _ : state) {
    builder.Build(*req, [&](const extproc::ProcessingRequest& m) {
      out.clear();
      m.SerializeToString(&out);
      benchmark::DoNotOptimize(out);
    });
    ReplyInterpreter interp(req, 64u << 20);
    for (const auto& w : wire) {
      extproc::ProcessingResponse r;
      r.ParseFromString(w);
      if (interp.OnReply(r) == ReplyInterpreter::Step::kDone) break;
    }
    BridgeAnswer a = interp.TakeAnswer();
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_HotPath_Chat);

}  // namespace
}  // namespace eppb

BENCHMARK_MAIN();
