// Black-box: `epp-bridge endpoint-picker`, the command line NGINX Gateway
// Fabric's provisioner runs its shim with, serves as `serve` does.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <memory>

#include "dev_epp_process.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace {

using testing_support::Headers;
using testing_support::HttpClient;
using testing_support::Process;
using testing_support::TempDir;

const std::string kBin = EPP_BRIDGE_BIN;
const bool kAdminOnEphemeralPort = setenv("EPP_BRIDGE_ADMIN_LISTEN", "127.0.0.1:0", 1) == 0;
const std::string kChat = R"({"model":"demo","messages":[{"role":"user","content":"hi"}]})";

class EndpointPicker : public ::testing::Test {
 protected:
  void StartEpp(std::vector<std::string> extra) {
    auto epp = testing_support::StartDevEpp(kBin, dir_, "127.0.0.1:8001", extra);
    epp_ = std::move(epp.process);
    epp_port_ = epp.port;
    ASSERT_GT(epp_port_, 0) << epp_->Log();
  }
  // NGF's command line, on a free port instead of NGF's fixed 54800.
  void StartShim(std::vector<std::string> flags) {
    std::vector<std::string> argv{kBin, "endpoint-picker"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
    shim_ =
        std::make_unique<Process>(argv, dir_.File("shim-" + std::to_string(++starts_) + ".log"));
    int port = shim_->WaitForPort();
    ASSERT_GT(port, 0) << shim_->Log();
    client_ = std::make_unique<HttpClient>(port);
  }
  Headers Ngf(Headers extra = {}) {  // what NGF's epp.js sends
    return testing_support::EppHeaders(epp_port_, extra);
  }
  TempDir dir_;
  std::unique_ptr<Process> epp_, shim_;
  std::unique_ptr<HttpClient> client_;
  int epp_port_ = 0, starts_ = 0;
};

TEST_F(EndpointPicker, DisableTlsServesAsServeDoes) {
  StartEpp({"--rewrite-model", "demo=rewritten"});
  StartShim({"--endpoint-picker-disable-tls"});
  EXPECT_NE(shim_->Log().find("epp tls=off"), std::string::npos) << shim_->Log();
  auto r = client_->Send("POST", "/", Ngf(), kChat);
  ASSERT_EQ(r.status, 200) << r.body << r.error;
  EXPECT_EQ(r.Header("X-Gateway-Destination-Endpoint"), "127.0.0.1:8001");
  EXPECT_EQ(r.Header("X-EPP-Outcome"), "picked");
  // NGF's epp.js never asks for the rewritten body: only the verdict comes back.
  EXPECT_EQ(r.Header("X-EPP-Body"), "mutated");
  EXPECT_EQ(r.body, "");
  auto asked = client_->Send("POST", "/", Ngf({{"X-EPP-Want-Body", "1"}}), kChat);
  ASSERT_EQ(asked.status, 200) << asked.body;
  EXPECT_EQ(asked.Header("X-EPP-Body"), "mutated");
  EXPECT_NE(asked.body.find("\"rewritten\""), std::string::npos) << asked.body;
}

TEST_F(EndpointPicker, BareTlsSkipVerifyMeansTrue) {
  StartEpp({"--tls"});  // a self-signed certificate
  // The flag without a value wins over the environment, as in NGF (a bool flag).
  setenv("EPP_BRIDGE_ENDPOINT_PICKER_TLS_SKIP_VERIFY", "false", 1);
  StartShim({"--endpoint-picker-tls-skip-verify"});
  unsetenv("EPP_BRIDGE_ENDPOINT_PICKER_TLS_SKIP_VERIFY");
  EXPECT_NE(shim_->Log().find("epp tls=skip-verify"), std::string::npos) << shim_->Log();
  EXPECT_EQ(client_->Send("POST", "/", Ngf(), kChat).status, 200);
  StartShim({"--endpoint-picker-tls-skip-verify=false"});
  EXPECT_NE(shim_->Log().find("epp tls=verify"), std::string::npos) << shim_->Log();
  EXPECT_EQ(client_->Send("POST", "/", Ngf(), kChat).status, 503);
  StartShim({});  // NGF's default: TLS without verification
  EXPECT_EQ(client_->Send("POST", "/", Ngf(), kChat).status, 200);
}

}  // namespace
