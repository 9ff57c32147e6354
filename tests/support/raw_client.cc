#include "support/raw_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <cerrno>

namespace testing_support {

namespace http = boost::beast::http;

RawClient::RawClient(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

void RawClient::ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

bool RawClient::Write(std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool RawClient::Readable(int ms) {
  if (!in_.empty()) return true;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

std::string RawClient::ReadRaw(size_t n, int ms) {
  while (in_.size() < n && Readable(ms) && Fill()) {
  }
  std::string out = in_.substr(0, n);
  in_.erase(0, out.size());
  return out;
}

bool RawClient::Read(Response* out, bool head, int ms) {
  http::response_parser<http::string_body> p;
  p.skip(head);
  p.body_limit(64 << 20);
  while (true) {
    if (!in_.empty()) {
      boost::beast::error_code ec;
      size_t used = p.put(boost::asio::buffer(in_), ec);
      in_.erase(0, used);
      if (p.is_done()) {
        *out = p.release();
        return true;
      }
      if (ec && ec != http::error::need_more) return false;
      if (used > 0) continue;
    }
    if (!Readable(ms) || !Fill()) return false;
  }
}

bool RawClient::ClosedByPeer(int ms) {
  if (!in_.empty() || !Readable(ms)) return false;
  char b;
  ssize_t n = ::recv(fd_, &b, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

bool RawClient::Fill() {
  char buf[65536];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) return false;
  in_.append(buf, static_cast<size_t>(n));
  return true;
}

}  // namespace testing_support
