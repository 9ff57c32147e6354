#include "support/http_client.h"

#include <strings.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace testing_support {

namespace http = boost::beast::http;
namespace asio = boost::asio;

std::string HttpResult::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

size_t HttpResult::HeaderCount(const std::string& name) const {
  size_t n = 0;
  for (const auto& [k, v] : headers) n += strcasecmp(k.c_str(), name.c_str()) == 0;
  return n;
}

HttpClient::HttpClient(int port, std::chrono::milliseconds timeout)
    : port_(port), timeout_(timeout) {}

bool HttpClient::EnsureConnected(std::string* error) {
  if (stream_ && stream_->socket().is_open()) return true;
  stream_.emplace(io_);
  stream_->expires_after(timeout_);
  boost::system::error_code ec;
  stream_->connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                           static_cast<unsigned short>(port_)),
                   ec);
  if (ec) {
    *error = ec.message();
    stream_.reset();
    return false;
  }
  ++connects_;
  return true;
}

HttpResult HttpClient::Send(const std::string& method, const std::string& target,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body) {
  HttpResult r;
  if (!EnsureConnected(&r.error)) return r;
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.insert(k, v);
  req.body() = body;
  req.prepare_payload();
  req.keep_alive(true);
  boost::system::error_code ec;
  stream_->expires_after(timeout_);
  http::write(*stream_, req, ec);
  boost::beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256u << 20);
  if (!ec) {
    stream_->expires_after(timeout_);
    http::read(*stream_, buf, parser, ec);
  }
  if (ec) {
    r.error = ec.message();
    stream_.reset();
    return r;
  }
  auto res = parser.release();
  r.status = static_cast<int>(res.result_int());
  for (const auto& f : res)
    r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  r.body = std::move(res.body());
  if (!res.keep_alive()) stream_.reset();
  return r;
}

void HttpClient::SendAndHangUp(const std::string& method, const std::string& target,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               const std::string& body) {
  std::string error;
  if (!EnsureConnected(&error)) return;
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  for (const auto& [k, v] : headers) req.insert(k, v);
  req.body() = body;
  req.prepare_payload();
  boost::system::error_code ec;
  http::write(*stream_, req, ec);
  stream_->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_->close();
  stream_.reset();
}

}  // namespace testing_support
