// The HTTP side against requests NGINX or a hostile local client may send:
// field sizes Beast cannot store, pipelining, HEAD, 100 Continue and
// Transfer-Encoding framings RFC 9112 says to refuse.
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "stack.h"
#include "support/raw_client.h"

namespace eppb::testing {
namespace {

namespace http = boost::beast::http;
using Response = testing_support::RawClient::Response;

// Exact bytes, answers read with a timeout.
class Raw : public testing_support::RawClient {
 public:
  explicit Raw(int port) : RawClient(port) { EXPECT_TRUE(connected()); }
  void Write(std::string_view s) { ASSERT_TRUE(RawClient::Write(s)); }
};

std::string Request(int epp_port, const std::string& body, const std::string& extra = "",
                    const std::string& method = "POST") {
  return method + " / HTTP/1.1\r\nHost: bridge\r\nX-EPP-Host: 127.0.0.1\r\nX-EPP-Port: " +
         std::to_string(epp_port) + "\r\nContent-Type: application/json\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class HttpEdges : public ::testing::Test {
 protected:
  void SetUp() override {
    epp_ = StartEpp();
    auto o = Plaintext();
    o.max_header_bytes = 1 << 20;  // above what one Beast field can hold
    bridge_ = StartBridge(o);
    ASSERT_TRUE(epp_ && bridge_);
  }
  void ExpectServing() {
    Raw c(bridge_->port());
    c.Write(Request(epp_->port(), kChatBody));
    Response r;
    ASSERT_TRUE(c.Read(&r));
    EXPECT_EQ(r.result_int(), 200);
  }
  std::unique_ptr<DevEppServer> epp_;
  std::unique_ptr<BridgeServer> bridge_;
};

TEST_F(HttpEdges, HeaderValueBeyondWhatBeastStoresIs431AndTheBridgeLivesOn) {
  Raw c(bridge_->port());
  c.Write(Request(epp_->port(), kChatBody, "X-Big: " + std::string(65534, 'a') + "\r\n"));
  Response r;
  ASSERT_TRUE(c.Read(&r));
  EXPECT_EQ(r.result_int(), 431);
  EXPECT_EQ(r["X-EPP-Error"], "headers-too-large");
  ExpectServing();
}

TEST_F(HttpEdges, HeaderNameBeyondWhatBeastStoresIs431) {
  Raw c(bridge_->port());
  c.Write(Request(epp_->port(), kChatBody, "X-" + std::string(65534, 'n') + ": v\r\n"));
  Response r;
  ASSERT_TRUE(c.Read(&r));
  EXPECT_EQ(r.result_int(), 431);
  ExpectServing();
}

TEST_F(HttpEdges, TwoPipelinedRequestsGetTwoAnswersAtOnce) {
  Raw c(bridge_->port());
  c.Write(Request(epp_->port(), kChatBody) + Request(epp_->port(), kChatBody));
  Response a, b;
  ASSERT_TRUE(c.Read(&a, false, 2000));
  ASSERT_TRUE(c.Read(&b, false, 2000)) << "the second request stalled in the buffer";
  EXPECT_EQ(a.result_int(), 200);
  EXPECT_EQ(b.result_int(), 200);
  EXPECT_EQ(b["X-EPP-Outcome"], "picked");
}

// The read that waits for a hang-up while an exchange runs takes a request
// sent meanwhile: it is answered after the first one, in order.
TEST_F(HttpEdges, ARequestSentWhileAnExchangeRunsIsAnsweredAfterIt) {
  Raw c(bridge_->port());
  c.Write(Request(epp_->port(), kChatBody, "X-Dev-Epp-Fault: delay=300\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the EPP is still deciding
  c.Write(Request(epp_->port(), kChatBody, "X-Dev-Epp-Fault: status=429\r\n"));
  Response a, b;
  ASSERT_TRUE(c.Read(&a, false, 3000));
  ASSERT_TRUE(c.Read(&b, false, 3000)) << "the request sent meanwhile stalled";
  EXPECT_EQ(a.result_int(), 200);
  EXPECT_EQ(a["X-EPP-Outcome"], "picked");
  EXPECT_EQ(b.result_int(), 429);
  // The connection goes on reading the next request.
  c.Write(Request(epp_->port(), kChatBody));
  Response n;
  ASSERT_TRUE(c.Read(&n, false, 3000));
  EXPECT_EQ(n.result_int(), 200);
}

// A caller that half-closes once its answer is out has its connection
// closed; one that half-closes while its exchange runs has hung up.
TEST_F(HttpEdges, AHalfCloseEndsTheConnectionAfterTheAnswerOrCancelsTheExchange) {
  Raw after(bridge_->port());
  after.Write(Request(epp_->port(), kChatBody));
  Response r;
  ASSERT_TRUE(after.Read(&r, false, 3000));
  EXPECT_EQ(r.result_int(), 200);
  after.ShutdownWrite();
  EXPECT_TRUE(after.ClosedByPeer());

  Raw during(bridge_->port());
  during.Write(Request(epp_->port(), kChatBody, "X-Dev-Epp-Fault: delay=2000\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto start = std::chrono::steady_clock::now();
  during.ShutdownWrite();
  EXPECT_TRUE(during.ClosedByPeer());  // at once, with no answer
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
  ExpectServing();
}

TEST_F(HttpEdges, PipelinedAfterARejectionToo) {
  Raw c(bridge_->port());
  std::string no_target = "GET / HTTP/1.1\r\nHost: bridge\r\n\r\n";
  c.Write(no_target + Request(epp_->port(), kChatBody));
  Response a, b;
  ASSERT_TRUE(c.Read(&a, false, 2000));
  ASSERT_TRUE(c.Read(&b, false, 2000));
  EXPECT_EQ(a.result_int(), 400);
  EXPECT_EQ(b.result_int(), 200);
}

TEST_F(HttpEdges, HeadAnswersCarryNoBodyAndTheNextAnswerParses) {
  Raw c(bridge_->port());
  c.Write("HEAD / HTTP/1.1\r\nHost: bridge\r\n\r\n");  // no X-EPP-Host: refused
  Response head;
  ASSERT_TRUE(c.Read(&head, true));
  EXPECT_EQ(head.result_int(), 400);
  EXPECT_NE(head[http::field::content_length], "0");  // what a GET would get
  c.Write("GET / HTTP/1.1\r\nHost: bridge\r\n\r\n");
  Response get;
  ASSERT_TRUE(c.Read(&get)) << "the HEAD answer's body was sent and broke the next answer";
  EXPECT_EQ(get.result_int(), 400);
  EXPECT_FALSE(get.body().empty());
}

TEST_F(HttpEdges, AdminHeadAnswersCarryNoBody) {
  Raw c(bridge_->admin_port());
  c.Write("HEAD /metrics HTTP/1.1\r\nHost: admin\r\n\r\n");
  Response head;
  ASSERT_TRUE(c.Read(&head, true));
  EXPECT_EQ(head.result_int(), 200);
  c.Write("GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n");
  Response get;
  ASSERT_TRUE(c.Read(&get));
  EXPECT_EQ(get.result_int(), 200);
  EXPECT_EQ(get.body(), "ok\n");
}

TEST_F(HttpEdges, ExpectContinueGetsA100BeforeTheBody) {
  std::string body(1 << 20, 'x');
  body = R"({"model":"demo","prompt":")" + body + R"("})";
  std::string req = Request(epp_->port(), body, "Expect: 100-continue\r\n");
  std::string head = req.substr(0, req.size() - body.size());
  Raw c(bridge_->port());
  c.Write(head);
  EXPECT_EQ(c.ReadRaw(25, 1000), "HTTP/1.1 100 Continue\r\n\r\n");
  c.Write(body);
  Response r;
  ASSERT_TRUE(c.Read(&r));
  EXPECT_EQ(r.result_int(), 200);
}

// njs's ngx.fetch sends the body with the header and takes an interim 100
// for the final answer: it must get the final answer only.
TEST_F(HttpEdges, ExpectContinueWithTheBodyAlreadySentGetsNo100) {
  Raw c(bridge_->port());
  c.Write(Request(epp_->port(), kChatBody, "Expect: 100-continue\r\n"));
  Response r;
  ASSERT_TRUE(c.Read(&r));
  EXPECT_EQ(r.result_int(), 200);
}

TEST_F(HttpEdges, TransferEncodingsWithoutAFinalChunkedAre400AndClose) {
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  struct Case {
    std::string version, te;
    int status;
  };
  for (const auto& [version, te, status] : std::vector<Case>{{"1.1", "chunked, identity", 400},
                                                             {"1.1", "xchunked", 400},
                                                             {"1.1", "identity", 400},
                                                             {"1.0", "chunked", 400},
                                                             {"1.1", "gzip, chunked", 501}}) {
    SCOPED_TRACE(version + " " + te);
    Raw c(bridge_->port());
    c.Write("POST / HTTP/" + version + "\r\nHost: bridge\r\nX-EPP-Host: 127.0.0.1\r\nX-EPP-Port: " +
            std::to_string(epp_->port()) + "\r\nTransfer-Encoding: " + te + "\r\n\r\n" + smuggled);
    Response r;
    ASSERT_TRUE(c.Read(&r));
    EXPECT_EQ(r.result_int(), status);
    EXPECT_TRUE(c.ClosedByPeer()) << "the rest was parsed as another request";
  }
  ExpectServing();
}

TEST_F(HttpEdges, ChunkedBodyIsStillRead) {
  Raw c(bridge_->port());
  std::string body = kChatBody;
  char size[16];
  snprintf(size, sizeof size, "%zx", body.size());
  c.Write("POST / HTTP/1.1\r\nHost: bridge\r\nX-EPP-Host: 127.0.0.1\r\nX-EPP-Port: " +
          std::to_string(epp_->port()) + "\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\n" +
          body + "\r\n0\r\n\r\n");
  Response r;
  ASSERT_TRUE(c.Read(&r));
  EXPECT_EQ(r.result_int(), 200);
}

}  // namespace
}  // namespace eppb::testing
