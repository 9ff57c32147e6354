// Held streams and the response phase: the bridge keeps each picked stream
// open until NGINX's completion record arrives on the unix socket, then
// reports :status and the served endpoint to the EPP and closes.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <thread>

#include "observe/metrics.h"
#include "stack.h"

namespace eppb::testing {
namespace {

using testing_support::HttpClient;

class ResponsePhase : public ::testing::Test {
 protected:
  void Start(int ttl_ms = 60000, size_t max_held = 100) {
    epp_ = StartEpp();
    auto o = Plaintext();
    o.completion_socket = dir_.File("completion.sock");
    o.hold_ttl_ms = ttl_ms;
    o.max_held_streams = max_held;
    bridge_ = StartBridge(o);
    ASSERT_TRUE(epp_ && bridge_);
    client_ = std::make_unique<HttpClient>(bridge_->port());
  }
  std::string Pick(const std::string& id, Headers extra = {}) {
    extra.push_back({"X-Request-Id", id});
    auto r = client_->Send("POST", "/", EppHeaders(epp_->port(), extra), kChatBody);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Header("X-Gateway-Destination-Endpoint");
  }
  // What NGINX's syslog writer sends for one access-log line.
  void SendRecord(const std::string& line) {
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = dir_.File("completion.sock");
    strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    std::string msg = "<190>Nov 26 21:40:00 nginx: " + line;
    ASSERT_EQ(
        sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr),
        static_cast<ssize_t>(msg.size()));
    close(fd);
  }
  bool WaitFor(const std::function<bool()>& cond) {
    for (int i = 0; i < 300; ++i) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return cond();
  }
  int Open() { return epp_->service().open_streams().load(); }

  testing_support::TempDir dir_;
  std::unique_ptr<DevEppServer> epp_;
  std::unique_ptr<BridgeServer> bridge_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(ResponsePhase, StreamIsHeldUntilTheRecordThenReportsTheServedEndpoint) {
  Start();
  std::string picked = Pick("held-1");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(Open(), 1);  // the EPP still counts the request in flight
  EXPECT_EQ(bridge_->holds()->size(), 1u);
  // NGINX fell back to another endpoint: the served one is the last address.
  SendRecord("epp-completion-v1 id=held-1 status=201 upstream=\"" + picked +
             ", 127.0.0.1:8003\" bytes=10 rt=0.01");
  ASSERT_TRUE(WaitFor([&] { return Open() == 0; }));
  auto rec = epp_->service().recorder().Find("held-1");
  ASSERT_TRUE(rec);
  EXPECT_TRUE(rec->response_headers_seen);
  EXPECT_EQ(rec->response_status, 201);
  EXPECT_EQ(rec->served, "127.0.0.1:8003");  // the metadata arrived at the EPP
  EXPECT_EQ(bridge_->holds()->size(), 0u);
}

TEST_F(ResponsePhase, LostRecordEndsByTtl) {
  Start(/*ttl_ms=*/300);
  Pick("lost-1");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(Open(), 1);
  ASSERT_TRUE(WaitFor([&] { return Open() == 0; }));
  auto rec = epp_->service().recorder().Find("lost-1");
  ASSERT_TRUE(rec);
  EXPECT_FALSE(rec->response_headers_seen);  // closed gracefully without a response phase
  // The record arrives after all: counted as late, nothing breaks.
  SendRecord("epp-completion-v1 id=lost-1 status=200 upstream=\"127.0.0.1:8001\"");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(bridge_->holds()->size(), 0u);
}

TEST_F(ResponsePhase, FullTableClosesTheOldestStream) {
  Start(60000, /*max_held=*/2);
  Pick("full-1");
  Pick("full-2");
  Pick("full-3");
  ASSERT_TRUE(WaitFor([&] { return Open() == 2; }));
  EXPECT_EQ(bridge_->holds()->size(), 2u);
  ASSERT_TRUE(WaitFor([&] { return epp_->service().recorder().Find("full-1").has_value(); }));
  EXPECT_FALSE(epp_->service().recorder().Find("full-3"));  // still held
}

TEST_F(ResponsePhase, BadDuplicateAndUnknownRecordsAreHarmless) {
  Start();
  Pick("dup-1");
  SendRecord("epp-completion-v1 id=dup-1 status=200 upstream=\"127.0.0.1:8001\"");
  SendRecord("epp-completion-v1 id=dup-1 status=200 upstream=\"127.0.0.1:8001\"");
  SendRecord("epp-completion-v1 id=nobody status=200");
  SendRecord("garbage \x01\x02");
  SendRecord("epp-completion-v1 id=x status=notanumber");
  ASSERT_TRUE(WaitFor([&] { return Open() == 0; }));
  // The stream can end before the later datagrams are read: wait for their counts.
  auto counted = [](const char* series) {
    return Metrics::Get().Serialize().find(series) != std::string::npos;
  };
  EXPECT_TRUE(WaitFor([&] {
    return counted(R"(epp_bridge_completion_records_total{result="duplicate"})") &&
           counted(R"(epp_bridge_completion_records_total{result="malformed"})") &&
           counted(R"(epp_bridge_completion_records_total{result="unknown"})");
  }));
  EXPECT_EQ(Pick("after-1").empty(), false);  // the bridge still serves
}

TEST_F(ResponsePhase, EppThatClosesTheStreamItselfIsTolerated) {
  Start();
  Pick("eppclose-1", {{"x-dev-epp-fault", "close-after-pick"}});
  // The EPP ends the stream on its side; both sides let go of it.
  ASSERT_TRUE(WaitFor([&] { return bridge_->holds()->size() == 0 && Open() == 0; }));
  SendRecord("epp-completion-v1 id=eppclose-1 status=200 upstream=\"127.0.0.1:8001\"");
  EXPECT_FALSE(Pick("eppclose-2").empty());
}

TEST_F(ResponsePhase, WithoutACompletionSocketStreamsCloseRightAfterThePick) {
  epp_ = StartEpp();
  bridge_ = StartBridge(Plaintext());
  client_ = std::make_unique<HttpClient>(bridge_->port());
  Pick("nohold-1");
  ASSERT_TRUE(WaitFor([&] { return Open() == 0; }));
  EXPECT_EQ(bridge_->holds(), nullptr);
}

}  // namespace
}  // namespace eppb::testing
