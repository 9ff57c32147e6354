#include "http/answer_writer.h"

#include <boost/beast/http/field.hpp>

#include "common/answer_head_size.h"

namespace eppb {

namespace http = boost::beast::http;

namespace {

// X-EPP-Remove's value: the removed names, comma-separated.
std::string JoinRemovals(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& r : names) {
    if (!joined.empty()) joined += ',';
    joined += r;
  }
  return joined;
}

void AppendField(std::string_view name, std::string_view value, std::string* out) {
  out->append(name);
  out->append(": ");
  out->append(value);
  out->append("\r\n");
}

HttpResponse Render(BridgeAnswer&& a, unsigned version, bool keep_alive) {
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
      if (!a.remove_headers.empty()) res.set("X-EPP-Remove", JoinRemovals(a.remove_headers));
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

// The last resort: a bodyless 502 that closes the connection (no allocation
// beyond Beast's fields, which may fail too: then an empty 502).
HttpResponse RenderFailure(unsigned version) noexcept {
  HttpResponse res;
  res.version(version);
  res.result(http::status::bad_gateway);
  try {
    res.set(http::field::server, "epp-bridge");
    res.set("X-EPP-Outcome", OutcomeName(Outcome::kError));
    res.set("X-EPP-Error", "render-failed");
    res.content_length(0);
    res.keep_alive(false);
  } catch (...) {
  }
  return res;
}

void AppendHead(const HttpResponse& res, std::string* out) {
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
  for (const auto& f : res) AppendField(f.name_string(), f.value(), out);
  out->append("\r\n");
}

// A pick's head, written as Render and AppendHead would write it, with no
// Beast fields in between: the status line, then the fields in Render's
// order, then Connection as Beast's keep_alive() sets it, then the
// Content-Length prepare_payload sets.
void AppendPickedHead(const BridgeAnswer& a, unsigned version, bool keep_alive, size_t body_bytes,
                      std::string* out) {
  out->append(version == 10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n");
  AppendField("Server", "epp-bridge", out);
  AppendField("X-EPP-Outcome", OutcomeName(Outcome::kPicked), out);
  AppendField("X-Gateway-Destination-Endpoint", a.endpoints.front().ToString(), out);
  AppendField("X-EPP-Endpoints", JoinEndpoints(a.endpoints), out);
  for (const auto& h : a.headers) {
    out->append("X-EPP-Set-");
    AppendField(h.key, h.value, out);
  }
  if (!a.remove_headers.empty()) AppendField("X-EPP-Remove", JoinRemovals(a.remove_headers), out);
  AppendField("X-EPP-Body", a.body_mutated ? "mutated" : "original", out);
  if (version == 10 && keep_alive) AppendField("Connection", "keep-alive", out);
  if (version != 10 && !keep_alive) AppendField("Connection", "close", out);
  AppendField("Content-Length", std::to_string(body_bytes), out);
  out->append("\r\n");
}

}  // namespace

void RenderAnswerTo(BridgeAnswer&& a, unsigned version, bool keep_alive, std::string* head,
                    std::string* body) noexcept {
  head->clear();
  body->clear();
  bool direct = a.outcome == Outcome::kPicked && a.status == 200 && !a.endpoints.empty() &&
                (version == 10 || version == 11) && AnswerHeadBytes(a) <= kMaxRenderableHeadBytes;
  if (direct) {
    try {
      if (a.body_mutated) *body = std::move(a.body);
      AppendPickedHead(a, version, keep_alive, body->size(), head);
      return;
    } catch (...) {  // out of memory: the answer below, or its last resort
      head->clear();
      body->clear();
    }
  }
  HttpResponse res = RenderAnswer(std::move(a), version, keep_alive);
  RenderHead(res, head);
  *body = std::move(res.body());
}

HttpResponse RenderAnswer(BridgeAnswer&& a, unsigned version, bool keep_alive) noexcept {
  try {
    if (size_t head = AnswerHeadBytes(a); head > kMaxRenderableHeadBytes) {
      a = BridgeAnswer::Fail(Failure::kEppAnswerTooLarge,
                             "EPP answer head would be " + std::to_string(head) + " bytes");
    }
    return Render(std::move(a), version, keep_alive);
  } catch (...) {
    return RenderFailure(version);
  }
}

void RenderHead(const HttpResponse& res, std::string* out) noexcept {
  out->clear();
  try {
    AppendHead(res, out);
  } catch (...) {  // out of memory: a head NGINX reads as a failed exchange
    out->clear();
    static constexpr std::string_view kFailed =
        "HTTP/1.1 502 Bad Gateway\r\nX-EPP-Outcome: error\r\nX-EPP-Error: render-failed\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n";
    try {
      out->assign(kFailed);
    } catch (...) {
    }
  }
}

}  // namespace eppb
