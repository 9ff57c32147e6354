// epp_probe: how long an EPP spends receiving a request body over ext_proc.
//
// One exchange at a time on one channel, with the messages the bridge builds
// (MessageBuilder, same chunk size). An EPP in FULL_DUPLEX_STREAMED mode
// decides only once it has the whole body, so the time from the first
// message written to the decision (the request_headers reply) is the time it
// took the EPP to receive the body. The whole exchange (until the body
// echo ends) is reported too.
//
//   epp_probe --epp 127.0.0.1:9002 --body-file F [--chunk-bytes N] [--requests K]
// prints one line: "recv_ms_p50=… total_ms_p50=… recv_ms_min=… requests=K".
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "envoy/service/ext_proc/v3/external_processor.grpc.pb.h"
#include "extproc/message_builder.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace extproc = envoy::service::ext_proc::v3;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[(v.size() - 1) / 2];
}

int Usage() {
  std::cerr << "usage: epp_probe --epp HOST:PORT --body-file FILE [--chunk-bytes N] "
               "[--requests K]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string epp, body_file;
  size_t chunk = 64 * 1024;
  int requests = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--epp")
      epp = v;
    else if (k == "--body-file")
      body_file = v;
    else if (k == "--chunk-bytes")
      chunk = std::strtoul(v.c_str(), nullptr, 10);
    else if (k == "--requests")
      requests = std::atoi(v.c_str());
    else
      return Usage();
  }
  if (epp.empty() || body_file.empty() || chunk < 1 || requests < 1) return Usage();

  eppb::BridgeRequest req;
  {
    std::ifstream in(body_file, std::ios::binary);
    if (!in) {
      std::cerr << "epp_probe: cannot read " << body_file << "\n";
      return 2;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    req.body = ss.str();
  }
  req.headers = {{":method", "POST"},
                 {":path", "/v1/chat/completions"},
                 {":authority", "localhost"},
                 {":scheme", "http"},
                 {"content-type", "application/json"},
                 {"content-length", std::to_string(req.body.size())}};

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(-1);
  auto channel = grpc::CreateCustomChannel("ipv4:" + epp, grpc::InsecureChannelCredentials(), args);
  auto stub = extproc::ExternalProcessor::NewStub(channel);
  eppb::MessageBuilder builder(chunk);

  std::vector<double> recv, total;
  for (int i = -1; i < requests; ++i) {  // i == -1: warm-up, not counted
    std::vector<extproc::ProcessingRequest> msgs;
    auto r = req;
    r.headers.push_back({"x-request-id", "epp-probe-" + std::to_string(i + 1)});
    builder.Build(r, [&](const extproc::ProcessingRequest& m) { msgs.push_back(m); });

    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto stream = stub->Process(&ctx);
    auto t0 = Clock::now();
    for (const auto& m : msgs) {
      if (!stream->Write(m)) break;
    }
    extproc::ProcessingResponse reply;
    if (!stream->Read(&reply) || !reply.has_request_headers()) {
      std::cerr << "epp_probe: no decision from the EPP\n";
      return 1;
    }
    auto t1 = Clock::now();
    while (stream->Read(&reply)) {
      if (reply.has_request_body() &&
          reply.request_body().response().body_mutation().streamed_response().end_of_stream()) {
        break;
      }
    }
    auto t2 = Clock::now();
    stream->WritesDone();
    while (stream->Read(&reply)) {
    }
    stream->Finish();
    if (i >= 0) {
      recv.push_back(Ms(t1 - t0));
      total.push_back(Ms(t2 - t0));
    }
  }
  std::printf("recv_ms_p50=%.3f total_ms_p50=%.3f recv_ms_min=%.3f requests=%d\n", Median(recv),
              Median(total), *std::min_element(recv.begin(), recv.end()), requests);
  return 0;
}
