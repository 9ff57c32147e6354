#include "common/answer_head_size.h"

namespace eppb {
namespace {

// ": " and CRLF around each header.
constexpr size_t kPerField = 4;
// Everything whose size does not depend on the EPP: the status line (the
// longest reason phrase is 31 bytes), Server, X-EPP-Outcome, X-EPP-Body or
// Content-Type, Content-Length (20 digits at most), Connection and the blank
// line end to about 210 bytes.
constexpr size_t kFixed = 256;

size_t Field(size_t name, size_t value) { return name + value + kPerField; }

// "ip:port" or "[ipv6]:port", at most 5 port digits.
size_t EndpointBytes(const Endpoint& e) { return e.address.size() + (e.ipv6 ? 2 : 0) + 6; }

}  // namespace

size_t AnswerHeadBytes(const BridgeAnswer& a) {
  size_t n = kFixed;
  switch (a.outcome) {
    case Outcome::kPicked: {
      size_t list = 0;
      for (const auto& e : a.endpoints) list += EndpointBytes(e) + 1;  // and a comma
      n += Field(sizeof("X-Gateway-Destination-Endpoint") - 1,
                 a.endpoints.empty() ? 0 : EndpointBytes(a.endpoints.front()));
      n += Field(sizeof("X-EPP-Endpoints") - 1, list);
      for (const auto& h : a.headers)
        n += Field(sizeof("X-EPP-Set-") - 1 + h.key.size(), h.value.size());
      if (!a.remove_headers.empty()) {
        size_t joined = 0;
        for (const auto& r : a.remove_headers) joined += r.size() + 1;
        n += Field(sizeof("X-EPP-Remove") - 1, joined);
      }
      break;
    }
    case Outcome::kImmediate:
      for (const auto& h : a.headers) n += Field(h.key.size(), h.value.size());
      break;
    case Outcome::kError:
    case Outcome::kRejected:
      n += Field(sizeof("X-EPP-Error") - 1, a.error_reason.size());
      break;
  }
  return n;
}

}  // namespace eppb
