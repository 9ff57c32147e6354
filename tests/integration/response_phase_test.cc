// Held streams and the response phase: the bridge keeps each picked stream
// open until NGINX's completion record arrives on the unix socket, then
// reports :status and the served endpoint to the EPP and closes.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <thread>

#include "observe/metrics.h"
#include "stack.h"
#include "support/metric_value.h"

namespace eppb::testing {
namespace {

using testing_support::HttpClient;
using testing_support::MetricValue;

class ResponsePhase : public ::testing::Test {
 protected:
  void Start(int ttl_ms = 60000, size_t max_held = 100, unsigned threads = 0) {
    epp_ = StartEpp();
    auto o = Plaintext();
    o.threads = threads;
    o.completion_socket = dir_.File("completion.sock");
    o.hold_ttl_ms = ttl_ms;
    o.max_held_streams = max_held;
    bridge_ = StartBridge(o);
    ASSERT_TRUE(epp_ && bridge_);
    client_ = std::make_unique<HttpClient>(bridge_->port());
  }
  // The X-EPP-Completion-Key NGINX would send for the request with this test id:
  // 32 lower-case hex digits (the id's bytes in hex, padded).
  static std::string KeyOf(const std::string& id) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string key;
    for (unsigned char c : id) {
      key += kHex[c >> 4];
      key += kHex[c & 15];
    }
    key.resize(32, '0');
    return key;
  }
  std::string Pick(const std::string& id, Headers extra = {}) {
    return PickKeyed(id, KeyOf(id), std::move(extra));
  }
  std::string PickKeyed(const std::string& id, const std::string& key, Headers extra = {}) {
    extra.push_back({"X-Request-Id", id});
    if (!key.empty()) extra.push_back({"X-EPP-Completion-Key", key});
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
  SendRecord("epp-completion-v2 key=" + KeyOf("held-1") + " status=201 upstream=\"" + picked +
             ", 127.0.0.1:8003\" bytes=10 rt=0.01");
  ASSERT_TRUE(Eventually([&] { return Open() == 0; }));
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
  ASSERT_TRUE(Eventually([&] { return Open() == 0; }));
  auto rec = epp_->service().recorder().Find("lost-1");
  ASSERT_TRUE(rec);
  EXPECT_FALSE(rec->response_headers_seen);  // closed gracefully without a response phase
  // The record arrives after all: counted as late, nothing breaks.
  SendRecord("epp-completion-v2 key=" + KeyOf("lost-1") +
             " status=200 upstream=\"127.0.0.1:8001\"");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(bridge_->holds()->size(), 0u);
}

// The cap is shared out among the worker loops: 2 each here. One
// connection's requests all go to one loop.
TEST_F(ResponsePhase, FullTableClosesTheOldestStream) {
  Start(60000, /*max_held=*/4, /*threads=*/2);
  Pick("full-1");
  Pick("full-2");
  Pick("full-3");
  ASSERT_TRUE(Eventually([&] { return Open() == 2; }));
  EXPECT_TRUE(Eventually([&] { return bridge_->holds()->size() == 2u; }));
  ASSERT_TRUE(Eventually([&] { return epp_->service().recorder().Find("full-1").has_value(); }));
  EXPECT_FALSE(epp_->service().recorder().Find("full-3"));  // still held
}

TEST_F(ResponsePhase, BadDuplicateAndUnknownRecordsAreHarmless) {
  Start();
  Pick("dup-1");
  SendRecord("epp-completion-v2 key=" + KeyOf("dup-1") + " status=200 upstream=\"127.0.0.1:8001\"");
  SendRecord("epp-completion-v2 key=" + KeyOf("dup-1") + " status=200 upstream=\"127.0.0.1:8001\"");
  SendRecord("epp-completion-v2 key=" + KeyOf("nobody") + " status=200");
  SendRecord("garbage \x01\x02");
  SendRecord("epp-completion-v2 key=" + KeyOf("x") + " status=notanumber");
  ASSERT_TRUE(Eventually([&] { return Open() == 0; }));
  // The stream can end before the later datagrams are read: wait for their counts.
  auto counted = [](const char* series) {
    return Metrics::Get().Serialize().find(series) != std::string::npos;
  };
  EXPECT_TRUE(Eventually([&] {
    return counted(R"(epp_bridge_completion_records_total{result="duplicate"})") &&
           counted(R"(epp_bridge_completion_records_total{result="malformed"})") &&
           counted(R"(epp_bridge_completion_records_total{result="unknown"})");
  }));
  EXPECT_EQ(Pick("after-1").empty(), false);  // the bridge still serves
}

// A datagram past the record's 4 KiB bound is cut where it is read and
// refused whole: its stream stays held.
TEST_F(ResponsePhase, AnOversizedRecordIsMalformed) {
  Start();
  Pick("big-1");
  const std::string malformed = R"(epp_bridge_completion_records_total{result="malformed"})";
  double before = MetricValue(malformed);
  SendRecord("epp-completion-v2 key=" + KeyOf("big-1") +
             " status=200 upstream=\"127.0.0.1:8001\" " + std::string(9000, 'x'));
  EXPECT_TRUE(Eventually([&] { return MetricValue(malformed) == before + 1; }));
  EXPECT_EQ(bridge_->holds()->size(), 1u);
  EXPECT_EQ(Open(), 1);
}

// Each worker loop holds the streams of its own connections; a record is
// read on the first loop and reaches the loop that holds its stream. Each
// record is counted once, by the loop that decides it.
TEST_F(ResponsePhase, RecordsReachTheLoopThatHoldsTheStream) {
  Start(60000, 100, /*threads=*/2);
  HttpClient second(bridge_->port());  // connections go to the loops in turn
  Pick("loop-a");
  auto r = second.Send("POST", "/",
                       EppHeaders(epp_->port(), {{"X-Request-Id", "loop-b"},
                                                 {"X-EPP-Completion-Key", KeyOf("loop-b")}}),
                       kChatBody);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(Eventually([&] { return bridge_->holds()->size() == 2u; }));
  EXPECT_EQ(bridge_->holds()->first()->size(), 1u) << "one stream on each loop";
  const std::string matched = R"(epp_bridge_completion_records_total{result="matched"})";
  const std::string unknown = R"(epp_bridge_completion_records_total{result="unknown"})";
  double matched0 = MetricValue(matched), unknown0 = MetricValue(unknown);
  for (const char* id : {"loop-a", "loop-b", "loop-nobody"}) {
    SendRecord("epp-completion-v2 key=" + KeyOf(id) + " status=200 upstream=\"127.0.0.1:8001\"");
  }
  ASSERT_TRUE(Eventually([&] { return Open() == 0 && bridge_->holds()->size() == 0; }));
  for (const char* id : {"loop-a", "loop-b"}) {
    auto rec = epp_->service().recorder().Find(id);
    ASSERT_TRUE(rec) << id;
    EXPECT_TRUE(rec->response_headers_seen) << id;
  }
  EXPECT_TRUE(Eventually([&] { return MetricValue(unknown) == unknown0 + 1; }));
  EXPECT_EQ(MetricValue(matched), matched0 + 2);
  EXPECT_EQ(Metrics::Get().Serialize().find(R"(result="passed")"), std::string::npos);
}

// NGINX sends records without blocking, and the kernel queues few on a unix
// socket (net.unix.max_dgram_qlen, 10 in a new network namespace): a record
// the socket cannot queue is lost. The socket's own thread reads them while
// every worker loop is busy, so none is refused.
TEST_F(ResponsePhase, RecordsAreReadWhileTheWorkerLoopsAreBusy) {
  size_t qlen = 10;
  if (FILE* f = fopen("/proc/sys/net/unix/max_dgram_qlen", "r")) {
    if (fscanf(f, "%zu", &qlen) != 1) qlen = 10;
    fclose(f);
  }
  const size_t n = qlen + 40;
  if (n > 200) GTEST_SKIP() << "net.unix.max_dgram_qlen is " << qlen << ": too many streams";
  Start(60000, 1000, /*threads=*/1);
  for (size_t i = 0; i < n; ++i) Pick("busy-" + std::to_string(i));
  ASSERT_TRUE(Eventually([&] { return bridge_->holds()->size() == n; }));
  // The only worker loop sleeps while NGINX's records arrive.
  std::atomic<bool> asleep{false};
  boost::asio::post(bridge_->holds()->first()->loop(), [&] {
    asleep = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  });
  ASSERT_TRUE(Eventually([&] { return asleep.load(); }));
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = dir_.File("completion.sock");
  strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  size_t refused = 0;
  for (size_t i = 0; i < n; ++i) {
    std::string msg =
        "<190>Nov 26 21:40:00 nginx: epp-completion-v2 key=" + KeyOf("busy-" + std::to_string(i)) +
        " status=200 upstream=\"127.0.0.1:8001\"";
    if (send(fd, msg.data(), msg.size(), MSG_DONTWAIT) < 0) ++refused;  // as NGINX sends
    std::this_thread::sleep_for(std::chrono::milliseconds(4));          // 10 records in 40 ms
  }
  close(fd);
  EXPECT_EQ(refused, 0u) << "of " << n << " records, with max_dgram_qlen " << qlen;
  EXPECT_TRUE(Eventually([&] { return bridge_->holds()->size() == 0 && Open() == 0; }))
      << bridge_->holds()->size() << " still held";
}

TEST_F(ResponsePhase, EppThatClosesTheStreamItselfIsTolerated) {
  Start();
  Pick("eppclose-1", {{"x-dev-epp-fault", "close-after-pick"}});
  // The EPP ends the stream on its side; both sides let go of it.
  ASSERT_TRUE(Eventually([&] { return bridge_->holds()->size() == 0 && Open() == 0; }));
  SendRecord("epp-completion-v2 key=" + KeyOf("eppclose-1") +
             " status=200 upstream=\"127.0.0.1:8001\"");
  EXPECT_FALSE(Pick("eppclose-2").empty());
}

TEST_F(ResponsePhase, HoldsAreKeyedByTheCompletionKeyNotTheClientsRequestId) {
  Start();
  const std::string victim = KeyOf("victim");
  // Two requests with the same client id, one forged to name the other's key in its id.
  PickKeyed("same", victim);
  PickKeyed("same", KeyOf("attacker"), {});
  PickKeyed("evil id=" + victim, KeyOf("evil"));
  ASSERT_TRUE(Eventually([&] { return Open() == 3; }));
  // The same client id did not replace a hold (the table takes it by a post).
  EXPECT_TRUE(Eventually([&] { return bridge_->holds()->size() == 3u; }))
      << bridge_->holds()->size();
  // The record of the forged request completes its own stream only.
  SendRecord("epp-completion-v2 key=" + KeyOf("evil") + " status=200 upstream=\"127.0.0.1:8001\"");
  ASSERT_TRUE(Eventually([&] { return Open() == 2; }));
  EXPECT_TRUE(Eventually([&] { return bridge_->holds()->size() == 2u; }));
  auto forged = epp_->service().recorder().Find("evil id=" + victim);
  ASSERT_TRUE(forged);  // the EPP saw the client's id untouched
  EXPECT_TRUE(forged->response_headers_seen);
  SendRecord("epp-completion-v2 key=" + victim + " status=200 upstream=\"127.0.0.1:8002\"");
  ASSERT_TRUE(Eventually([&] { return Open() == 1; }));
  auto first = epp_->service().recorder().Find("same");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->served, "127.0.0.1:8002");
}

TEST_F(ResponsePhase, RequestWithoutACompletionKeyIsNotHeld) {
  Start();
  PickKeyed("nokey-1", "");  // as NGF's own epp.js sends it
  ASSERT_TRUE(Eventually([&] { return Open() == 0; }));
  EXPECT_EQ(bridge_->holds()->size(), 0u);
  auto rec = epp_->service().recorder().Find("nokey-1");
  ASSERT_TRUE(rec);
  EXPECT_FALSE(rec->response_headers_seen);
  auto bad = client_->Send(
      "POST", "/", EppHeaders(epp_->port(), {{"X-EPP-Completion-Key", "evil id=x"}}), kChatBody);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Header("X-EPP-Error"), "invalid-completion-key");
}

TEST_F(ResponsePhase, SocketIsGroupOnlyAndNeedsAnAbsolutePath) {
  epp_ = StartEpp();
  auto o = Plaintext();
  o.completion_socket = dir_.File("completion.sock");
  o.completion_socket_group = std::to_string(getgid());
  bridge_ = StartBridge(o);
  ASSERT_TRUE(bridge_);
  struct stat st {};
  ASSERT_EQ(stat(o.completion_socket.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(st.st_gid, getgid());
  bridge_.reset();

  std::string error;
  int code = 0;
  auto relative = o;
  relative.listen = "127.0.0.1:0";
  relative.admin_listen = "";
  relative.completion_socket = "relative.sock";
  EXPECT_FALSE(BridgeServer::Create(relative, &error, &code));
  EXPECT_NE(error.find("absolute"), std::string::npos) << error;
  auto no_group = o;
  no_group.listen = "127.0.0.1:0";
  no_group.admin_listen = "";
  no_group.completion_socket_group = "no-such-group-epp";
  EXPECT_FALSE(BridgeServer::Create(no_group, &error, &code));
  EXPECT_NE(error.find("no-such-group-epp"), std::string::npos) << error;
  EXPECT_EQ(code, 2);
}

TEST_F(ResponsePhase, WithoutACompletionSocketStreamsCloseRightAfterThePick) {
  epp_ = StartEpp();
  bridge_ = StartBridge(Plaintext());
  client_ = std::make_unique<HttpClient>(bridge_->port());
  Pick("nohold-1");
  ASSERT_TRUE(Eventually([&] { return Open() == 0; }));
  EXPECT_EQ(bridge_->holds(), nullptr);
}

}  // namespace
}  // namespace eppb::testing
