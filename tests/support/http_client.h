// A small blocking HTTP/1.1 client over Beast for tests; keeps one
// keep-alive connection like NGINX's upstream pool does.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace testing_support {

struct HttpResult {
  int status = 0;  // 0: no answer (connection failed or timed out)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string error;
  std::string Header(const std::string& name) const;  // case-insensitive, first match
  size_t HeaderCount(const std::string& name) const;
};

class HttpClient {
 public:
  explicit HttpClient(int port, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  HttpResult Send(const std::string& method, const std::string& target,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  const std::string& body = "");
  // Sends the request and closes the connection without reading the answer.
  void SendAndHangUp(const std::string& method, const std::string& target,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::string& body);
  int connects() const { return connects_; }

 private:
  bool EnsureConnected(std::string* error);
  boost::asio::io_context io_;
  std::optional<boost::beast::tcp_stream> stream_;
  int port_;
  std::chrono::milliseconds timeout_;
  int connects_ = 0;
};

}  // namespace testing_support
