#include "pick/pick_command.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>

#include "bridge/exchange.h"
#include "cli/flags.h"
#include "cli/tls_flags.h"
#include "common/defaults.h"
#include "common/header_rules.h"
#include "extproc/channel_registry.h"
#include "h2/make_ext_proc_client.h"
#include "http/request_translator.h"
#include "net/worker_count.h"
#include "net/worker_loops.h"
#include "observe/logging.h"
#include "observe/metrics.h"
#include "pick/load_report.h"

namespace eppb {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

CLI::App* AddPickCommand(CLI::App* app, PickOptions* o) {
  auto* cmd = app->add_subcommand("pick", "Ask an EPP for a decision directly over ext_proc");
  const std::string r = "Request";
  const std::string l = "Load";
  AddOpt(cmd, "--epp", o->epp, "EPP host:port", r)->required();
  AddOpt(cmd, "--method", o->method, ":method", r);
  AddOpt(cmd, "--path", o->path, ":path (with query)", r);
  AddOpt(cmd, "--authority", o->authority, ":authority", r);
  AddOpt(cmd, "--scheme", o->scheme, ":scheme", r);
  AddOpt(cmd, "-H,--header", o->headers, "Request header 'name: value' (repeatable)", r);
  AddOpt(cmd, "--body", o->body, "Request body", r);
  AddOpt(cmd, "--body-file", o->body_file, "Read the request body from a file", r);
  AddOpt(cmd, "--subset", o->subset, "Subset hint: ip or ip:port, comma-separated", r);
  AddOpt(cmd, "--request-id", o->request_id, "x-request-id (default: generated)", r);
  AddOpt(cmd, "--chunk-bytes", o->chunk_bytes, "Body chunk size", r);
  AddOpt(cmd, "--deadline-ms", o->deadline_ms, "Deadline per request", r);
  AddOpt(cmd, "--epp-transport", o->epp_transport, "EPP client: h2 (nghttp2) or grpc (gRPC C++)", r)
      ->check(CLI::IsMember({"h2", "grpc"}));
  AddTlsFlags(cmd, &o->tls);
  AddOpt(cmd, "--requests", o->requests, "Requests to send (load mode when > 1)", l);
  AddOpt(cmd, "--concurrency", o->concurrency, "Requests in flight at once", l);
  AddOpt(cmd, "--rate", o->rate,
         "Start requests at this fixed rate per second, at most --concurrency in flight "
         "(0: each finished request starts the next)",
         l);
  AddOpt(
      cmd, "--threads", o->threads,
      "Client threads, each running its own event loop (0: as serve, one per two CPUs it may use, "
      "rounded up)",
      l);
  AddOpt(cmd, "--log-level", o->log_level, "trace, debug, info, warn, error", l);
  return cmd;
}

namespace {

bool BuildRequest(const PickOptions& o, BridgeRequest* out, std::string* error) {
  auto target = EppTarget::ParseHostPort(o.epp, error);
  if (!target) return false;
  out->target = *target;
  out->headers.push_back({":method", o.method});
  if (!o.path.empty()) out->headers.push_back({":path", o.path});
  out->headers.push_back({":authority", o.authority});
  out->headers.push_back({":scheme", o.scheme});
  for (const auto& h : o.headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      *error = "header '" + h + "' must be 'name: value'";
      return false;
    }
    std::string key = ToLower(h.substr(0, colon));
    std::string value = h.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (!IsValidHeaderName(key) || !IsValidHeaderValue(value)) {
      *error = "header '" + h + "' is not a valid HTTP header";
      return false;
    }
    out->headers.push_back({key, value});
  }
  if (!o.body_file.empty()) {
    std::ifstream in(o.body_file, std::ios::binary);
    if (!in) {
      *error = "cannot read " + o.body_file;
      return false;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    out->body = ss.str();
  } else {
    out->body = o.body;
  }
  if (!out->body.empty())
    out->headers.push_back({"content-length", std::to_string(out->body.size())});
  if (!o.subset.empty()) {
    std::vector<SubsetToken> tokens;
    if (!ParseSubsetList(o.subset, &tokens, error)) return false;
    std::stringstream ss(o.subset);
    for (std::string item; std::getline(ss, item, ',');) out->subset.push_back(item);
  }
  out->request_id = o.request_id;
  return true;
}

std::shared_ptr<const BridgeRequest> WithId(const BridgeRequest& base, std::string id) {
  auto r = std::make_shared<BridgeRequest>(base);
  r->request_id = id.empty() ? NewRequestId() : std::move(id);
  r->headers.push_back({"x-request-id", r->request_id});
  return r;
}

void PrintAnswer(const BridgeAnswer& a, double ms) {
  std::cout << "outcome: " << OutcomeName(a.outcome) << "\n";
  std::cout << "status: " << a.status << "\n";
  if (a.outcome == Outcome::kPicked) {
    std::cout << "endpoint: " << a.endpoints.front().ToString() << "\n";
    std::cout << "endpoints: " << JoinEndpoints(a.endpoints) << "\n";
  }
  for (const auto& h : a.headers) std::cout << "header: " << h.key << ": " << h.value << "\n";
  for (const auto& h : a.remove_headers) std::cout << "remove-header: " << h << "\n";
  if (a.outcome == Outcome::kPicked) {
    std::cout << "body: " << (a.body_mutated ? "mutated" : "original") << " (" << a.body.size()
              << " bytes)\n";
  } else if (!a.body.empty()) {
    std::cout << "body: " << a.body << "\n";
  }
  if (!a.error_reason.empty()) std::cout << "error: " << a.error_reason << "\n";
  std::cout << fmt::format("latency_ms: {:.3f}\n", ms);
}

// Keeps `concurrency` exchanges in flight until `requests` have finished or,
// with a rate, starts them on a fixed schedule with at most `concurrency` in
// flight (a request whose slot is not free starts as soon as one is). Latency
// is measured from a request's start, as HTTP load tools measure it.
class LoadRun {
 public:
  LoadRun(WorkerLoops& loops, ExtProcClient* client, const ExchangeConfig& cfg,
          const BridgeRequest& base, size_t requests)
      : loops_(loops), client_(client), cfg_(cfg), base_(base), requests_(requests) {}

  void Launch(size_t concurrency) {
    for (size_t i = 0; i < concurrency; ++i) Next(loops_.Next().get_executor());
  }
  void LaunchAtRate(double rate, size_t concurrency) {
    rate_ = rate;
    cap_ = concurrency;
    t0_ = Clock::now();
    Tick();
  }
  LoadReport& report() { return report_; }
  void Wait() { finished_.get_future().wait(); }

 private:
  void Next(asio::any_io_executor strand) {
    if (started_.fetch_add(1) >= requests_) return;
    StartOne(strand, [this, strand] { Next(strand); });
  }

  // Paced mode: the timer marks requests due; StartDue starts them as slots allow.
  void Tick() {
    double elapsed = std::chrono::duration<double>(Clock::now() - t0_).count();
    size_t due = std::min(requests_, static_cast<size_t>(elapsed * rate_) + 1);
    {
      std::lock_guard lock(pace_mu_);
      due_ = std::max(due_, due);
    }
    StartDue();
    if (due >= requests_) return;
    timer_.expires_at(t0_ + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(due / rate_)));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) Tick();
    });
  }
  void StartDue() {
    std::vector<asio::any_io_executor> now;
    {
      std::lock_guard lock(pace_mu_);
      while (paced_ < due_ && inflight_ < cap_) {
        ++paced_;
        ++inflight_;
        now.push_back(loops_.Next().get_executor());
      }
    }
    for (auto& strand : now) {
      StartOne(strand, [this] {
        {
          std::lock_guard lock(pace_mu_);
          --inflight_;
        }
        StartDue();
      });
    }
  }

  void StartOne(asio::any_io_executor strand, std::function<void()> then) {
    auto start = Clock::now();
    auto ex = std::make_shared<Exchange>(
        strand, client_, cfg_, Metrics::Get(), WithId(base_, ""),
        [this, start, then](BridgeAnswer a) {
          double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
          {
            std::lock_guard lock(mu_);
            report_.latencies_ms.push_back(ms);
            if (a.outcome == Outcome::kPicked)
              ++report_.picked;
            else if (a.outcome == Outcome::kImmediate)
              ++report_.immediate;
            else
              ++report_.errors;
          }
          then();
          // Signalled by the last callback to finish: the run may be destroyed
          // as soon as Wait() returns.
          bool last;
          {
            std::lock_guard lock(mu_);
            last = ++settled_ == requests_;
          }
          if (last) finished_.set_value();
        });
    asio::post(strand, [ex] { ex->Start(); });
  }

  WorkerLoops& loops_;
  ExtProcClient* client_;
  const ExchangeConfig& cfg_;
  const BridgeRequest& base_;
  size_t requests_;
  std::atomic<size_t> started_{0};
  std::mutex mu_;
  LoadReport report_;
  size_t settled_ = 0;  // callbacks done, under mu_
  std::promise<void> finished_;
  // Paced mode.
  double rate_ = 0;
  size_t cap_ = 0;
  Clock::time_point t0_;
  asio::steady_timer timer_{asio::make_strand(loops_.at(0))};
  std::mutex pace_mu_;
  size_t due_ = 0, paced_ = 0, inflight_ = 0;
};

}  // namespace

int RunPick(PickOptions o) {
  std::string error;
  if (!SetupLogging(o.log_level, &error)) {
    std::cerr << error << "\n";
    return 2;
  }
  BridgeRequest base;
  if (!ValidateTls(&o.tls, &error) || !BuildRequest(o, &base, &error)) {
    std::cerr << "pick: " << error << "\n";
    return 2;
  }
  if (o.chunk_bytes < 1 || o.chunk_bytes > ExchangeConfig::kMaxChunkBytes || o.deadline_ms <= 0 ||
      o.requests < 1 || o.concurrency < 1 || !(o.rate >= 0)) {
    std::cerr << "pick: --chunk-bytes, --deadline-ms, --requests, --concurrency and --rate out of "
                 "range\n";
    return 2;
  }
  ChannelOptions copts;
  copts.max_receive_bytes = 64 << 20;
  std::unique_ptr<ChannelRegistry> registry;  // gRPC C++ only for its transport
  if (o.epp_transport == "grpc") {
    registry = ChannelRegistry::Create(o.tls, copts, &error);
    if (!registry) {
      std::cerr << "pick: " << error << "\n";
      return 2;
    }
  }
  // Declared before the client: the HTTP/2 transport's sockets live on them.
  // Each exchange runs on one loop, with its HTTP/2 connection over h2.
  WorkerLoops loops(o.threads ? o.threads : DefaultWorkerCount());
  H2ClientOptions h2;
  h2.max_receive_bytes = static_cast<size_t>(copts.max_receive_bytes);
  auto client_owner = MakeExtProcClient(o.epp_transport, registry.get(), loops, o.tls, h2, &error);
  if (!client_owner) {
    std::cerr << "pick: " << error << "\n";
    return 2;
  }
  TrackedExtProcClient& client = *client_owner;
  ExchangeConfig cfg;
  cfg.deadline = std::chrono::milliseconds(o.deadline_ms);
  cfg.chunk_bytes = o.chunk_bytes;
  cfg.max_body_bytes = std::max<size_t>(base.body.size() * 2, kDefaultMaxBodyBytes);
  cfg.linger = std::chrono::milliseconds(1000);

  std::vector<std::thread> pool;
  for (unsigned i = 0; i < loops.size(); ++i) pool.emplace_back([&loops, i] { loops.Run(i); });

  int code = 0;
  if (o.requests == 1) {
    std::promise<BridgeAnswer> promise;
    auto start = Clock::now();
    auto strand = loops.at(0).get_executor();
    auto ex =
        std::make_shared<Exchange>(strand, &client, cfg, Metrics::Get(), WithId(base, o.request_id),
                                   [&](BridgeAnswer a) { promise.set_value(std::move(a)); });
    asio::post(strand, [ex] { ex->Start(); });
    BridgeAnswer a = promise.get_future().get();
    PrintAnswer(a, std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    code = a.outcome == Outcome::kPicked ? 0 : (a.outcome == Outcome::kImmediate ? 3 : 1);
  } else {
    LoadRun run(loops, &client, cfg, base, o.requests);
    auto start = Clock::now();
    if (o.rate > 0)
      run.LaunchAtRate(o.rate, o.concurrency);
    else
      run.Launch(o.concurrency);
    run.Wait();
    run.report().seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::cout << run.report().Format(o.concurrency);
    code = run.report().errors > 0 ? 1 : 0;
  }
  // Every stream ends while the executors it posts to still run: a stream
  // the EPP keeps open after the half-close is cancelled, not waited for.
  if (!client.CancelAllAndWait(std::chrono::seconds(2))) {
    std::cerr << "pick: " << client.live_streams() << " EPP streams did not end\n";
  }
  loops.Stop();
  for (auto& t : pool) t.join();
  return code;
}

}  // namespace eppb
