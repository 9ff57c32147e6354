// Invariants shared by the fuzz targets. A violation aborts, so libFuzzer
// records the input as a crash: these are properties the bridge promises
// (docs/protocol.md), not just "does not crash".
#pragma once

#include <boost/beast/http/write.hpp>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "common/endpoint.h"
#include "common/epp_target.h"
#include "common/header_rules.h"
#include "http/answer_writer.h"

namespace eppb::fuzz {

[[noreturn]] inline void Violation(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "INVARIANT VIOLATED: %s [%.*s]\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

inline void Require(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok) Violation(what, detail);
}

// An endpoint the bridge hands out must print as text that parses back to it.
inline void CheckEndpointRoundTrip(const Endpoint& e) {
  std::string text = e.ToString();
  std::string error;
  auto again = ParseEndpoint(text, &error);
  Require(again.has_value(), "endpoint text does not parse back", text);
  Require(*again == e, "endpoint text parses to another endpoint", text);
  Require(e.port != 0, "endpoint with port 0", text);
}

// A target's key must name the same target again.
inline void CheckTargetRoundTrip(const EppTarget& t) {
  std::string error;
  auto again = EppTarget::ParseHostPort(t.Key(), &error);
  Require(again.has_value(), "target key does not parse back", t.Key());
  Require(again->host == t.host && again->port == t.port && again->ipv6 == t.ipv6,
          "target key parses to another target", t.Key());
  Require(t.port != 0, "target with port 0", t.Key());
}

// What NGINX reads: every header name a token, every value free of CR, LF,
// NUL and other control bytes (no response splitting), and the picked
// endpoint a valid ip:port. Serialising it must not throw.
inline void CheckRendered(const HttpResponse& res) {
  for (const auto& f : res) {
    Require(IsValidHeaderName(f.name_string()), "rendered header name is not a token",
            f.name_string());
    Require(IsValidHeaderValue(f.value()), "rendered header value has control bytes",
            f.value());
  }
  std::string_view outcome = res["X-EPP-Outcome"];
  Require(outcome == "picked" || outcome == "immediate" || outcome == "error" ||
              outcome == "rejected",
          "unknown X-EPP-Outcome", outcome);
  if (outcome == "picked") {
    std::string error;
    Require(ParseEndpoint(res["X-Gateway-Destination-Endpoint"], &error).has_value(),
            "picked answer with an invalid destination", res["X-Gateway-Destination-Endpoint"]);
    std::vector<Endpoint> list;
    Require(ParseEndpointList(res["X-EPP-Endpoints"], &list, &error),
            "picked answer with an invalid endpoint list", res["X-EPP-Endpoints"]);
  }
  if (outcome == "error") {
    Require(res.result_int() >= 500 && res.result_int() <= 599, "error outcome without a 5xx");
  }
  std::ostringstream os;
  os << res;
  Require(!os.str().empty(), "empty serialised response");
}

}  // namespace eppb::fuzz
