// A raw client socket for the HTTP side: the test writes exact bytes and
// reads answers with a timeout, so a stall shows up as a failure instead of
// a hang.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <string_view>

namespace testing_support {

class RawClient {
 public:
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  explicit RawClient(int port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Writes all of `s`; false if the connection refused it.
  bool Write(std::string_view s);
  // Sends FIN: the client writes nothing more, and may still read.
  void ShutdownWrite();
  // True when bytes (or EOF) arrive within `ms`.
  bool Readable(int ms);
  // Up to `n` raw bytes, waiting at most `ms` for each read.
  std::string ReadRaw(size_t n, int ms);
  // One answer; `head` for the answer to a HEAD. False on a timeout, EOF or
  // bytes that do not parse.
  bool Read(Response* out, bool head = false, int ms = 3000);
  // True when the peer closed the connection and sent nothing more.
  bool ClosedByPeer(int ms = 3000);
  bool connected() const { return connected_; }

 private:
  bool Fill();
  int fd_;
  bool connected_ = false;
  std::string in_;
};

}  // namespace testing_support
