// Operations through the built binary: /metrics after real traffic, the
// probes, JSON logs, and readiness while draining.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "dev_epp_process.h"
#include "net/worker_count.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace {

using testing_support::Headers;
using testing_support::HttpClient;
using testing_support::Process;
using testing_support::TempDir;

const std::string kBin = EPP_BRIDGE_BIN;
const std::string kChat =
    R"({"model":"demo","messages":[{"role":"user","content":"SECRET-PROMPT"}]})";

class Operations : public ::testing::Test {
 protected:
  void SetUp() override {
    auto epp = testing_support::StartDevEpp(kBin, dir_, "127.0.0.1:8001,127.0.0.1:8002");
    epp_ = std::move(epp.process);
    epp_port_ = epp.port;
    ASSERT_GT(epp_port_, 0) << epp_->Log();
  }
  void StartBridge(std::vector<std::string> extra) {
    std::vector<std::string> argv{kBin,
                                  "serve",
                                  "--listen",
                                  "127.0.0.1:0",
                                  "--admin-listen",
                                  "127.0.0.1:0",
                                  "--endpoint-picker-disable-tls"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    bridge_ = std::make_unique<Process>(argv, dir_.File("bridge.log"));
    port_ = bridge_->WaitForPort();
    auto admin = bridge_->WaitForLog("admin listening on 127.0.0.1:", std::chrono::seconds(10));
    ASSERT_TRUE(admin) << bridge_->Log();
    admin_port_ = std::stoi(*admin);
  }
  Headers Epp(Headers extra = {}) {
    Headers h{{"X-EPP-Host", "127.0.0.1"}, {"X-EPP-Port", std::to_string(epp_port_)}};
    h.insert(h.end(), extra.begin(), extra.end());
    return h;
  }
  // The value of one sample line of the exposition, or -1.
  static double Sample(const std::string& text, const std::string& series) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    return -1;
  }
  TempDir dir_;
  std::unique_ptr<Process> epp_, bridge_;
  int epp_port_ = 0, port_ = 0, admin_port_ = 0;
};

// The names of the process's threads: gRPC C++ names its own
// (default-executor, timer_manager, event_engine, ...); ours keep the binary's.
std::vector<std::string> ThreadNames(pid_t pid) {
  std::vector<std::string> names;
  auto task = std::filesystem::path("/proc") / std::to_string(pid) / "task";
  for (const auto& t : std::filesystem::directory_iterator(task)) {
    std::ifstream in(t.path() / "comm");
    std::string name;
    std::getline(in, name);
    names.push_back(name);
  }
  return names;
}

TEST_F(Operations, OverHttp2GrpcNeverStarts) {
  for (std::string transport : {"grpc", "h2"}) {
    StartBridge({"--threads", "1", "--epp-transport", transport});
    HttpClient client(port_);
    ASSERT_EQ(client.Send("POST", "/", Epp(), kChat).status, 200) << transport;
    auto names = ThreadNames(bridge_->pid());
    auto ours = std::count(names.begin(), names.end(), "epp-bridge");
    if (transport == "grpc") {
      EXPECT_LT(ours, static_cast<long>(names.size())) << "gRPC C++ runs threads of its own";
    } else {
      // The main thread and the worker (and Asio's resolver thread, for a name), nothing else.
      EXPECT_EQ(ours, static_cast<long>(names.size())) << ::testing::PrintToString(names);
      EXPECT_LE(names.size(), 3u) << ::testing::PrintToString(names);
    }
    bridge_.reset();
  }
}

// --threads 0 runs one worker per two CPUs the process may use, rounded up,
// not per core of the machine: started on one CPU, the bridge has one
// worker; on the CPUs this test may use, half of them.
TEST_F(Operations, DefaultWorkersFollowTheCpusItMayUse) {
  cpu_set_t mine, one;
  CPU_ZERO(&mine);
  ASSERT_EQ(sched_getaffinity(0, sizeof mine, &mine), 0);
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &mine)) {
      CPU_SET(cpu, &one);
      break;
    }
  }
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  StartBridge({"--epp-transport", "h2"});  // the child inherits the mask
  ASSERT_EQ(sched_setaffinity(0, sizeof mine, &mine), 0);
  HttpClient client(port_);
  ASSERT_EQ(client.Send("POST", "/", Epp(), kChat).status, 200);
  auto names = ThreadNames(bridge_->pid());
  // The main thread and one worker (and Asio's resolver thread, for a name).
  EXPECT_LE(names.size(), 3u) << ::testing::PrintToString(names);
  auto threads = bridge_->WaitForLog("threads=", std::chrono::seconds(5));
  ASSERT_TRUE(threads) << bridge_->Log();
  EXPECT_EQ(std::stoi(*threads), 1) << bridge_->Log();

  // On every CPU this test may use (the child has the same mask and quota).
  const unsigned cpus = eppb::UsableCpus();
  StartBridge({"--epp-transport", "h2"});
  ASSERT_EQ(HttpClient(port_).Send("POST", "/", Epp(), kChat).status, 200);
  threads = bridge_->WaitForLog("threads=", std::chrono::seconds(5));
  ASSERT_TRUE(threads) << bridge_->Log();
  EXPECT_EQ(std::stoi(*threads), static_cast<int>((cpus + 1) / 2)) << cpus << " CPUs";
}

TEST_F(Operations, MetricsMoveWithRealTraffic) {
  StartBridge({});
  HttpClient c(port_);
  HttpClient admin(admin_port_);
  auto before = admin.Send("GET", "/metrics", {});
  ASSERT_EQ(before.status, 200);
  // Every outcome and failure reason is a series from the start, at zero.
  EXPECT_EQ(Sample(before.body, R"(epp_bridge_requests_total{outcome="picked"})"), 0);
  EXPECT_EQ(Sample(before.body, R"(epp_bridge_errors_total{reason="deadline-exceeded"})"), 0);
  EXPECT_EQ(Sample(before.body, R"(epp_bridge_rejected_requests_total{reason="bad-http"})"), 0);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.Send("POST", "/", Epp(), kChat).status, 200);
  EXPECT_EQ(c.Send("POST", "/", Epp({{"x-dev-epp-fault", "status=429"}}), kChat).status, 429);
  EXPECT_EQ(c.Send("POST", "/", Epp({{"x-dev-epp-fault", "grpc-error"}}), kChat).status, 502);
  EXPECT_EQ(c.Send("POST", "/", {{"X-EPP-Host", "127.0.0.1"}}, kChat).status, 400);

  auto m = admin.Send("GET", "/metrics", {});
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(Sample(m.body, R"(epp_bridge_requests_total{outcome="picked"})"), 5);
  EXPECT_EQ(Sample(m.body, R"(epp_bridge_requests_total{outcome="immediate"})"), 1);
  EXPECT_EQ(Sample(m.body, R"(epp_bridge_immediate_responses_total{code="429"})"), 1);
  EXPECT_EQ(Sample(m.body, R"(epp_bridge_errors_total{reason="grpc-error"})"), 1);
  EXPECT_EQ(Sample(m.body, R"(epp_bridge_rejected_requests_total{reason="missing-epp-port"})"), 1);
  EXPECT_EQ(Sample(m.body, R"(epp_bridge_exchange_duration_seconds_count{outcome="picked"})"), 5);
  EXPECT_EQ(Sample(m.body, "epp_bridge_request_body_bytes_count"), 7);
  EXPECT_EQ(Sample(m.body, "epp_bridge_inflight_exchanges"), 0);
  std::string target = "127.0.0.1:" + std::to_string(epp_port_);
  EXPECT_EQ(
      Sample(m.body, R"(epp_bridge_epp_channel_state{state="ready",target=")" + target + "\"}"), 1)
      << m.body;
  EXPECT_NE(m.body.find("# TYPE epp_bridge_exchange_duration_seconds histogram"),
            std::string::npos);
}

TEST_F(Operations, ProbesAndReadinessWhileDraining) {
  StartBridge({"--grace-ms", "5000"});
  HttpClient admin(admin_port_);
  auto h = admin.Send("GET", "/healthz", {});
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok\n");
  EXPECT_EQ(admin.Send("GET", "/readyz", {}).status, 200);
  EXPECT_EQ(admin.Send("GET", "/nope", {}).status, 404);
  EXPECT_EQ(admin.Send("POST", "/metrics", {}).status, 405);

  std::thread slow([&] {
    HttpClient c(port_);
    EXPECT_EQ(c.Send("POST", "/", Epp({{"x-dev-epp-fault", "delay=800"}}), kChat).status, 200);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  bridge_->Signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  HttpClient admin2(admin_port_);
  auto r = admin2.Send("GET", "/readyz", {});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "draining\n");
  slow.join();
  EXPECT_EQ(bridge_->Wait(std::chrono::seconds(5)), 0);
}

TEST_F(Operations, JsonLogsCarryTheRequestFieldsAndNoBodies) {
  StartBridge({"--log-format", "json", "--log-level", "debug"});
  HttpClient c(port_);
  ASSERT_EQ(
      c.Send("POST", "/",
             Epp({{"X-Request-Id", "json-1"},
                  {"Authorization", "Bearer SECRET-TOKEN"},
                  {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}),
             kChat)
          .status,
      200);
  EXPECT_EQ(c.Send("POST", "/",
                   Epp({{"X-Request-Id", "json-2"}, {"x-dev-epp-fault", "status=503"}}), kChat)
                .status,
            503);
  auto line = bridge_->WaitForLog("\"request_id\":\"json-2\"", std::chrono::seconds(5));
  ASSERT_TRUE(line);
  std::string log = bridge_->Log();
  std::istringstream in(log);
  int requests = 0;
  for (std::string l; std::getline(in, l);) {
    ASSERT_FALSE(l.empty());
    EXPECT_EQ(l.front(), '{') << l;
    EXPECT_EQ(l.back(), '}') << l;
    EXPECT_NE(l.find("\"ts\":\""), std::string::npos) << l;
    if (l.find("\"event\":\"request\"") == std::string::npos) continue;
    ++requests;
    for (const char* f : {"\"request_id\":", "\"epp\":", "\"outcome\":", "\"latency_ms\":"}) {
      EXPECT_NE(l.find(f), std::string::npos) << f << " in " << l;
    }
  }
  EXPECT_EQ(requests, 2);
  EXPECT_NE(log.find("\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\""), std::string::npos);
  EXPECT_EQ(log.find("SECRET-PROMPT"), std::string::npos);
  EXPECT_EQ(log.find("SECRET-TOKEN"), std::string::npos);
}

TEST_F(Operations, FailureLinesAreRateLimited) {
  StartBridge({});
  HttpClient c(port_);
  for (int i = 0; i < 60; ++i) {
    EXPECT_EQ(c.Send("POST", "/", {{"X-EPP-Host", "127.0.0.1"}}, kChat).status, 400);
  }
  std::string log = bridge_->Log();
  size_t lines = 0;
  for (size_t at = log.find("outcome=rejected"); at != std::string::npos;
       at = log.find("outcome=rejected", at + 1)) {
    ++lines;
  }
  EXPECT_GE(lines, 1u);
  EXPECT_LT(lines, 60u);  // at most 10 a second get through
}

}  // namespace
