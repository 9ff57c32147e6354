// Black-box tests of the built binary: flags, exit codes, and the whole
// NGF-style flow between real `serve` and `dev-epp` processes.
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>
#include <thread>

#include "dev_epp_process.h"
#include "devepp/certificate.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace {

using testing_support::Headers;
using testing_support::HttpClient;
using testing_support::Process;
using testing_support::RunCommand;
using testing_support::TempDir;

const std::string kBin = EPP_BRIDGE_BIN;

// Processes started here never take the default admin port.
const bool kAdminOnEphemeralPort = setenv("EPP_BRIDGE_ADMIN_LISTEN", "127.0.0.1:0", 1) == 0;
const std::string kChat = R"({"model":"demo","messages":[{"role":"user","content":"hi"}]})";

TEST(Flags, VersionHelpAndUsageErrors) {
  auto v = RunCommand({kBin, "--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.output.find("epp-bridge "), std::string::npos);
  auto h = RunCommand({kBin, "serve", "--help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.output.find("--endpoint-picker-tls-skip-verify"), std::string::npos);
  EXPECT_NE(h.output.find("EPP_BRIDGE_DEADLINE_MS"), std::string::npos);
  for (const char* env : {"EPP_BRIDGE_MAX_ANSWER_HEAD_BYTES", "EPP_BRIDGE_MAX_ANSWER_ENDPOINTS",
                          "EPP_BRIDGE_MAX_ANSWER_SET_HEADERS", "EPP_BRIDGE_MAX_ANSWER_REMOVALS",
                          "EPP_BRIDGE_MAX_BUFFERED_BODY_BYTES"}) {
    EXPECT_NE(h.output.find(env), std::string::npos) << env;
  }
  EXPECT_EQ(RunCommand({kBin}).code, 2);
  EXPECT_EQ(RunCommand({kBin, "serve", "--no-such-flag"}).code, 2);
  EXPECT_EQ(RunCommand({kBin, "dev-epp"}).code, 2);  // --endpoints is required
  EXPECT_EQ(RunCommand({kBin, "pick"}).code, 2);     // --epp is required
}

TEST(Flags, InvalidConfigurationIsFatalAndClear) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{"serve", "--listen", "nonsense"}, "--listen"},
      {{"serve", "--listen", "0.0.0.0:0"}, "--allow-non-loopback"},
      {{"serve", "--chunk-bytes", "5000000"}, "--chunk-bytes"},
      {{"serve", "--deadline-ms", "0"}, "--deadline-ms"},
      {{"serve", "--epp-ca-file", "/nonexistent/ca.pem"}, "/nonexistent/ca.pem"},
      {{"serve", "--epp-client-cert", "/tmp/x.pem"}, "--epp-client-key"},
      {{"serve", "--allowed-epp", "bad host"}, "--allowed-epp"},
      {{"serve", "--log-level", "loud"}, "--log-level"},
      {{"serve", "--max-answer-head-bytes", "1000"}, "--max-answer-head-bytes"},
      {{"serve", "--max-answer-head-bytes", "70000"}, "--max-answer-head-bytes"},
      {{"serve", "--max-answer-endpoints", "0"}, "--max-answer-endpoints"},
      {{"serve", "--max-answer-set-headers", "5000"}, "--max-answer-set-headers"},
      {{"serve", "--max-answer-removals", "5000"}, "--max-answer-removals"},
      {{"serve", "--max-buffered-body-bytes", "0"}, "--max-buffered-body-bytes"},
      {{"serve", "--epp-keepalive-ms", "0"}, "--epp-keepalive-ms"},
      {{"serve", "--epp-keepalive-timeout-ms", "-1"}, "--epp-keepalive-timeout-ms"},
      {{"serve", "--epp-connect-timeout-ms", "0"}, "--epp-connect-timeout-ms"},
      {{"dev-epp", "--endpoints", "10.0.0.1"}, "--endpoints"},
      {{"dev-epp", "--endpoints", "10.0.0.1:1", "--rewrite-model", "x"}, "--rewrite-model"},
  };
  for (auto& c : cases) {
    std::vector<std::string> argv{kBin};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto r = RunCommand(argv, std::chrono::seconds(10));
    EXPECT_EQ(r.code, 2) << c.args[1] << ": " << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
  }
}

TEST(Flags, BusyListenPortExitsNonZero) {
  TempDir dir;
  Process first({kBin, "serve", "--listen", "127.0.0.1:0"}, dir.File("a.log"));
  int port = first.WaitForPort();
  ASSERT_GT(port, 0);
  auto r = RunCommand({kBin, "serve", "--listen", "127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("cannot listen"), std::string::npos) << r.output;
}

TEST(Flags, EnvironmentVariablesConfigure) {
  TempDir dir;
  setenv("EPP_BRIDGE_DEADLINE_MS", "abc", 1);
  auto bad = RunCommand({kBin, "serve", "--listen", "127.0.0.1:0"});
  unsetenv("EPP_BRIDGE_DEADLINE_MS");
  EXPECT_EQ(bad.code, 2) << bad.output;
  setenv("EPP_BRIDGE_LISTEN", "127.0.0.1:0", 1);
  setenv("EPP_BRIDGE_DEADLINE_MS", "1234", 1);
  Process p({kBin, "serve"}, dir.File("env.log"));
  unsetenv("EPP_BRIDGE_LISTEN");
  unsetenv("EPP_BRIDGE_DEADLINE_MS");
  EXPECT_GT(p.WaitForPort(), 0);
  EXPECT_NE(p.Log().find("deadline=1234ms"), std::string::npos) << p.Log();
}

// A dev-epp and a bridge as separate processes, like the README's example.
class Processes : public ::testing::Test {
 protected:
  void StartEpp(std::vector<std::string> extra = {}) {
    auto epp = testing_support::StartDevEpp(kBin, dir_, "127.0.0.1:8001,127.0.0.1:8002", extra);
    epp_ = std::move(epp.process);
    epp_port_ = epp.port;
    ASSERT_GT(epp_port_, 0) << epp_->Log();
  }
  void StartBridge(std::vector<std::string> extra = {"--endpoint-picker-disable-tls"}) {
    std::vector<std::string> argv{kBin, "serve", "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    bridge_ = std::make_unique<Process>(argv, dir_.File("bridge.log"));
    bridge_port_ = bridge_->WaitForPort();
    ASSERT_GT(bridge_port_, 0) << bridge_->Log();
    client_ = std::make_unique<HttpClient>(bridge_port_);
  }
  Headers Epp(Headers extra = {}) { return testing_support::EppHeaders(epp_port_, extra); }
  // Established TCP connections from anyone to the EPP's port.
  int ConnectionsToEpp() {
    auto r = RunCommand({"/usr/bin/ss", "-Htn", "state", "established", "dst",
                         "127.0.0.1:" + std::to_string(epp_port_)});
    int lines = 0;
    for (char c : r.output) lines += c == '\n';
    return lines;
  }
  TempDir dir_;
  std::unique_ptr<Process> epp_, bridge_;
  std::unique_ptr<HttpClient> client_;
  int epp_port_ = 0, bridge_port_ = 0;
};

TEST_F(Processes, NgfStyleRequestIsRoutedAndBadOnesAreRejected) {
  StartEpp();
  StartBridge();
  auto r = client_->Send("POST", "/", Epp(), kChat);
  ASSERT_EQ(r.status, 200) << r.body << r.error;
  std::string ep = r.Header("X-Gateway-Destination-Endpoint");
  EXPECT_TRUE(ep == "127.0.0.1:8001" || ep == "127.0.0.1:8002") << ep;

  auto missing = client_->Send("POST", "/", {{"X-EPP-Host", "127.0.0.1"}}, kChat);
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("X-EPP-Port"), std::string::npos);
  EXPECT_NE(bridge_->Log().find("missing-epp-port"), std::string::npos);

  auto shed = client_->Send("POST", "/", Epp({{"x-dev-epp-fault", "status=429"}}), kChat);
  EXPECT_EQ(shed.status, 429);
  EXPECT_EQ(shed.body, "inference error: injected status 429");
}

TEST_F(Processes, SixMebibytePromptReachesTheEppInChunks) {
  StartEpp();
  StartBridge();
  std::string body = R"({"model":"demo","prompt":")" + std::string((6u << 20) - 30, 'p') + "\"}";
  body.resize(6u << 20, ' ');
  auto r = client_->Send("POST", "/", Epp({{"X-Request-Id", "six-mib"}}), body);
  ASSERT_EQ(r.status, 200) << r.body;
  auto line = epp_->WaitForLog("request_id=six-mib ", std::chrono::seconds(5));
  ASSERT_TRUE(line);
  EXPECT_NE(line->find("body_bytes=6291456 chunks=96"), std::string::npos) << *line;
}

TEST_F(Processes, EppDownGives5xxWithinTheDeadline) {
  StartEpp();
  StartBridge({"--endpoint-picker-disable-tls", "--deadline-ms", "1500"});
  epp_->Signal(SIGKILL);
  epp_->Wait(std::chrono::seconds(5));
  auto start = std::chrono::steady_clock::now();
  auto r = client_->Send("POST", "/", Epp(), kChat);
  EXPECT_GE(r.status, 500);
  EXPECT_LE(r.status, 504);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1600));
}

TEST_F(Processes, ThousandSequentialRequestsUseOneConnectionToTheEpp) {
  StartEpp();
  StartBridge();
  for (int i = 0; i < 1000; ++i) {
    auto r = client_->Send("POST", "/", Epp(), kChat);
    ASSERT_EQ(r.status, 200) << i << " " << r.body;
  }
  EXPECT_EQ(ConnectionsToEpp(), 1);
  EXPECT_EQ(client_->connects(), 1);
}

TEST_F(Processes, TlsSkipVerifyWorksAndAWrongCaFailsCleanly) {
  StartEpp({"--tls"});
  StartBridge({});  // NGF defaults: TLS, skip-verify
  EXPECT_EQ(client_->Send("POST", "/", Epp(), kChat).status, 200);
  StartBridge({"--endpoint-picker-tls-skip-verify=false"});  // system roots do not know it
  EXPECT_EQ(client_->Send("POST", "/", Epp(), kChat).status, 503);

  eppb::CertificateSpec ca;
  ca.is_ca = true;
  auto pem = eppb::GenerateCertificate(ca);
  ASSERT_TRUE(pem);
  StartBridge({"--epp-ca-file", dir_.Write("wrong-ca.pem", pem->cert)});
  auto r = client_->Send("POST", "/", Epp(), kChat);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("X-EPP-Error"), "epp-unavailable");
  bridge_->Signal(SIGTERM);
  EXPECT_EQ(bridge_->Wait(std::chrono::seconds(5)), 0);
}

TEST_F(Processes, SigtermDrainsInFlightExchangesAndExitsZero) {
  StartEpp();
  StartBridge({"--endpoint-picker-disable-tls", "--grace-ms", "5000"});
  std::thread slow([&] {
    auto r = client_->Send("POST", "/", Epp({{"x-dev-epp-fault", "delay=700"}}), kChat);
    EXPECT_EQ(r.status, 200);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  bridge_->Signal(SIGTERM);
  slow.join();
  EXPECT_EQ(bridge_->Wait(std::chrono::seconds(5)), 0);
  EXPECT_NE(bridge_->Log().find("draining 1 in-flight"), std::string::npos) << bridge_->Log();
  epp_->Signal(SIGTERM);
  EXPECT_EQ(epp_->Wait(std::chrono::seconds(5)), 0);
}

TEST_F(Processes, PickPrintsTheDecisionAndMeasuresLoad) {
  StartEpp({"--rewrite-model", "demo=other"});
  std::string epp = "127.0.0.1:" + std::to_string(epp_port_);
  auto one =
      RunCommand({kBin, "pick", "--epp", epp, "--endpoint-picker-disable-tls", "--body", kChat,
                  "-H", "test-epp-endpoint-selection: 127.0.0.1:8002,127.0.0.1:8001"});
  EXPECT_EQ(one.code, 0) << one.output;
  EXPECT_NE(one.output.find("endpoints: 127.0.0.1:8002,127.0.0.1:8001"), std::string::npos);
  EXPECT_NE(one.output.find("body: mutated"), std::string::npos) << one.output;
  auto shed = RunCommand({kBin, "pick", "--epp", epp, "--endpoint-picker-disable-tls", "--body",
                          kChat, "-H", "x-dev-epp-fault: status=429"});
  EXPECT_EQ(shed.code, 3);
  EXPECT_NE(shed.output.find("status: 429"), std::string::npos);
  auto load = RunCommand({kBin, "pick", "--epp", epp, "--endpoint-picker-disable-tls", "--body",
                          kChat, "--requests", "300", "--concurrency", "4"});
  EXPECT_EQ(load.code, 0) << load.output;
  EXPECT_NE(load.output.find("requests: 300"), std::string::npos);
  EXPECT_TRUE(std::regex_search(load.output, std::regex(R"(throughput_rps: \d+)")));
  EXPECT_TRUE(std::regex_search(load.output, std::regex(R"(p99=\d+\.\d+)")));
  EXPECT_NE(load.output.find("picked=300"), std::string::npos);
}

}  // namespace

// Whatever the EPP does (never deciding, streaming a body without end,
// ignoring the half-close of held and lingering streams), SIGTERM ends the
// process within --grace-ms plus a second.
TEST_F(Processes, SigtermExitsWithinTheGraceWhateverTheEppDoes) {
  StartEpp();
  StartBridge({"--endpoint-picker-disable-tls", "--grace-ms", "1500", "--linger-ms", "60000",
               "--completion-socket", dir_.File("completion.sock")});
  // Held (no completion record will come) and ignoring the half-close later.
  for (int i = 0; i < 3; ++i) {
    auto r = client_->Send("POST", "/",
                           Epp({{"x-dev-epp-fault", "ignore-half-close"},
                                {"X-EPP-Completion-Key", std::string(31, 'a') + char('0' + i)}}),
                           kChat);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // In flight when the signal comes: no reply at all, and a body without end.
  std::vector<std::thread> stuck;
  for (const char* fault : {"no-reply", "endless-body"}) {
    stuck.emplace_back([this, fault] {
      HttpClient c(bridge_port_);
      c.Send("POST", "/", Epp({{"x-dev-epp-fault", fault}}), kChat);  // any answer, or none
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto start = std::chrono::steady_clock::now();
  bridge_->Signal(SIGTERM);
  auto code = bridge_->Wait(std::chrono::seconds(10));
  auto took = std::chrono::steady_clock::now() - start;
  for (auto& t : stuck) t.join();
  ASSERT_TRUE(code) << bridge_->Log();
  EXPECT_EQ(*code, 0);
  EXPECT_LT(took, std::chrono::milliseconds(1500 + 1000)) << bridge_->Log();
}

// pick cancels a stream the EPP keeps open after the half-close, and exits.
TEST_F(Processes, PickExitsAgainstAnEppIgnoringTheHalfClose) {
  StartEpp();
  auto start = std::chrono::steady_clock::now();
  auto r = RunCommand({kBin, "pick", "--epp", "127.0.0.1:" + std::to_string(epp_port_),
                       "--endpoint-picker-disable-tls", "--body", kChat, "-H",
                       "x-dev-epp-fault: ignore-half-close"},
                      std::chrono::seconds(20));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(6)) << r.output;
}
