// The connection around an exchange: the answer is written by the thread
// that decides it when the kernel takes it whole, and the connection goes
// back to the strand for the next request; a slow reader gets the rest from
// the strand; an idle connection is closed after --idle-timeout-ms.
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <thread>

#include "stack.h"

namespace eppb::testing {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

// One raw keep-alive connection, so a test controls when it reads.
class RawConnection {
 public:
  explicit RawConnection(int port, int rcvbuf = 0) : socket_(io_) {
    socket_.open(asio::ip::tcp::v4());
    if (rcvbuf > 0) socket_.set_option(asio::socket_base::receive_buffer_size(rcvbuf));
    socket_.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  }
  void Send(const Headers& headers, const std::string& body) {
    http::request<http::string_body> req{http::verb::post, "/v1/chat/completions", 11};
    req.set(http::field::host, "bridge");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(socket_, req);
  }
  http::response<http::string_body> Read() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(socket_, buffer_, parser);
    return parser.release();
  }
  // True when the bridge has closed the connection (a read sees EOF).
  bool ClosedByPeer() {
    char b;
    boost::system::error_code ec;
    socket_.read_some(asio::buffer(&b, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

class KeepAlive : public ::testing::Test {
 protected:
  void SetUp() override { Start(400); }
  void Start(int idle_timeout_ms) {
    epp_ = StartEpp();
    auto o = Plaintext();
    o.idle_timeout_ms = idle_timeout_ms;
    o.max_body_bytes = 8 << 20;
    bridge_ = StartBridge(o);
    ASSERT_TRUE(epp_ && bridge_);
  }
  std::unique_ptr<DevEppServer> epp_;
  std::unique_ptr<BridgeServer> bridge_;
};

TEST_F(KeepAlive, OneConnectionCarriesManyExchanges) {
  testing_support::HttpClient client(bridge_->port());
  for (int i = 0; i < 20; ++i) {
    auto r = client.Send("POST", "/", EppHeaders(epp_->port()), kChatBody);
    ASSERT_EQ(r.status, 200) << "request " << i << ": " << r.error;
    EXPECT_EQ(r.Header("X-EPP-Outcome"), "picked");
  }
  EXPECT_EQ(client.connects(), 1);
}

TEST_F(KeepAlive, IdleConnectionIsClosedAfterTheIdleTimeout) {
  RawConnection c(bridge_->port());
  c.Send(EppHeaders(epp_->port()), kChatBody);
  EXPECT_EQ(c.Read().result_int(), 200);
  auto answered = Clock::now();
  EXPECT_TRUE(c.ClosedByPeer());  // blocks until the bridge closes
  auto idle = Clock::now() - answered;
  EXPECT_GE(idle, std::chrono::milliseconds(300));
  EXPECT_LT(idle, std::chrono::milliseconds(3000));
}

TEST_F(KeepAlive, ANextRequestBeforeTheIdleTimeoutIsServed) {
  Start(2000);  // 200 ms idle well under it, even on a loaded machine under sanitizers
  RawConnection c(bridge_->port());
  for (int i = 0; i < 3; ++i) {
    c.Send(EppHeaders(epp_->port()), kChatBody);
    EXPECT_EQ(c.Read().result_int(), 200) << "request " << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // idle, under the timeout
  }
}

TEST_F(KeepAlive, SlowReaderGetsAWholeLargeAnswerThenTheNextOne) {
  // A 4 MiB ImmediateResponse to a caller that reads nothing for a while:
  // more than the socket buffers hold, so the strand writes the rest.
  constexpr size_t kBody = 4 << 20;
  Start(30000);  // reading 4 MiB may take a while under sanitizers
  RawConnection c(bridge_->port(), 16 << 10);
  c.Send(
      EppHeaders(epp_->port(), {{"x-dev-epp-fault", "status=429,body=" + std::to_string(kBody)}}),
      kChatBody);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto big = c.Read();
  EXPECT_EQ(big.result_int(), 429);
  EXPECT_EQ(big[http::field::content_length], std::to_string(kBody));
  EXPECT_EQ(big.body().size(), kBody);
  EXPECT_EQ(big.body().find_first_not_of('x'), std::string::npos);
  c.Send(EppHeaders(epp_->port()), kChatBody);  // the same connection goes on
  EXPECT_EQ(c.Read().result_int(), 200);
}

TEST_F(KeepAlive, ConnectionCloseIsHonouredAfterTheAnswer) {
  RawConnection c(bridge_->port());
  c.Send(EppHeaders(epp_->port(), {{"Connection", "close"}}), kChatBody);
  auto r = c.Read();
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_FALSE(r.keep_alive());
  EXPECT_TRUE(c.ClosedByPeer());
}

}  // namespace
}  // namespace eppb::testing
