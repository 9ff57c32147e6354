#include "http/answer_writer.h"

#include <boost/beast/http/field.hpp>

namespace eppb {

namespace http = boost::beast::http;

HttpResponse RenderAnswer(BridgeAnswer&& a, unsigned version, bool keep_alive) {
  HttpResponse res;
  res.version(version);
  res.result(static_cast<unsigned>(a.status));
  res.set(http::field::server, "epp-bridge");
  res.set("X-EPP-Outcome", OutcomeName(a.outcome));
  switch (a.outcome) {
    case Outcome::kPicked: {
      res.set("X-Gateway-Destination-Endpoint", a.endpoints.front().ToString());
      res.set("X-EPP-Endpoints", JoinEndpoints(a.endpoints));
      for (const auto& h : a.headers) res.insert("X-EPP-Set-" + h.key, h.value);
      if (!a.remove_headers.empty()) {
        std::string joined;
        for (const auto& r : a.remove_headers) {
          if (!joined.empty()) joined += ',';
          joined += r;
        }
        res.set("X-EPP-Remove", joined);
      }
      res.set("X-EPP-Body", a.body_mutated ? "mutated" : "original");
      if (!a.body_mutated) a.body.clear();
      break;
    }
    case Outcome::kImmediate:
      for (const auto& h : a.headers) res.insert(h.key, h.value);
      break;
    case Outcome::kError:
    case Outcome::kRejected:
      res.set("X-EPP-Error", a.error_reason);
      res.set(http::field::content_type, "text/plain");
      a.body += '\n';
      break;
  }
  // 1xx, 204 and 304 carry no body (an EPP may still send one) and no
  // framing headers (RFC 9110 §8.6, §6.4.1); Beast's prepare_payload would
  // refuse the body and add Content-Length: 0.
  bool bodyless = a.status < 200 || a.status == 204 || a.status == 304;
  res.keep_alive(keep_alive);
  if (bodyless) {
    res.erase(http::field::content_length);
    res.erase(http::field::transfer_encoding);
    return res;
  }
  res.body() = std::move(a.body);
  res.prepare_payload();
  return res;
}

void RenderHead(const HttpResponse& res, std::string* out) {
  out->clear();
  unsigned v = res.version();
  out->append("HTTP/");
  out->push_back(static_cast<char>('0' + v / 10 % 10));
  out->push_back('.');
  out->push_back(static_cast<char>('0' + v % 10));
  out->push_back(' ');
  unsigned code = res.result_int();
  out->push_back(static_cast<char>('0' + code / 100 % 10));
  out->push_back(static_cast<char>('0' + code / 10 % 10));
  out->push_back(static_cast<char>('0' + code % 10));
  out->push_back(' ');
  out->append(res.reason());
  out->append("\r\n");
  for (const auto& f : res) {
    out->append(f.name_string());
    out->append(": ");
    out->append(f.value());
    out->append("\r\n");
  }
  out->append("\r\n");
}

}  // namespace eppb
