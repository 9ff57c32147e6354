// An in-process development EPP and bridge, both on port 0, plus an HTTP
// client that talks to the bridge as NGINX does.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

#include "devepp/dev_epp_server.h"
#include "serve/bridge_server.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

namespace eppb::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

inline std::vector<Endpoint> PoolEndpoints() {
  return {{"127.0.0.1", 8001, false}, {"127.0.0.1", 8002, false}, {"127.0.0.1", 8003, false}};
}

inline std::unique_ptr<DevEppServer> StartEpp(DevEppOptions o = {}) {
  o.listen = "127.0.0.1:0";
  if (o.endpoints.empty()) o.endpoints = PoolEndpoints();
  std::string error;
  auto s = DevEppServer::Start(o, &error);
  EXPECT_TRUE(s) << error;
  return s;
}

// The EPP transport the suite runs with: EPP_BRIDGE_TEST_TRANSPORT (grpc or
// h2; ctest runs the tier once with each), else the default.
inline std::string TestTransport() {
  const char* t = std::getenv("EPP_BRIDGE_TEST_TRANSPORT");
  return t && *t ? t : ServeOptions{}.epp_transport;
}

inline std::unique_ptr<BridgeServer> StartBridge(ServeOptions o = {}) {
  o.listen = "127.0.0.1:0";
  o.epp_transport = TestTransport();
  if (o.threads == 0) o.threads = 2;
  o.log_level = "warn";
  if (o.admin_listen == "127.0.0.1:54801") o.admin_listen = "127.0.0.1:0";
  std::string error;
  int code = 0;
  auto s = BridgeServer::Create(o, &error, &code);
  EXPECT_TRUE(s) << error;
  if (s) s->Start();
  return s;
}

inline ServeOptions Plaintext() {
  ServeOptions o;
  o.tls.disable_tls = true;
  return o;
}

inline Headers EppHeaders(int port, Headers extra = {}) {
  Headers h{{"X-EPP-Host", "127.0.0.1"},
            {"X-EPP-Port", std::to_string(port)},
            {"Content-Type", "application/json"}};
  h.insert(h.end(), extra.begin(), extra.end());
  return h;
}

// Waits up to 3 s for `done`; its last answer.
template <class Pred>
bool Eventually(Pred done) {
  for (int i = 0; i < 300 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// Waits up to 3 s until neither the EPP nor the bridge has a stream or an
// exchange left, then checks that.
inline void ExpectNothingLeft(DevEppServer& epp, BridgeServer& bridge) {
  Eventually([&] { return epp.service().open_streams() == 0 && bridge.context().inflight == 0; });
  EXPECT_EQ(epp.service().open_streams().load(), 0);
  EXPECT_EQ(bridge.context().inflight.load(), 0u);
}

inline const char* kChatBody = R"({"model":"demo","messages":[{"role":"user","content":"hello"}]})";

}  // namespace eppb::testing
