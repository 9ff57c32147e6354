// Endpoint lists and EPP targets: the EPP's destination (header or envoy.lb
// metadata), the caller's X-EPP-Subset, X-EPP-Host/X-EPP-Port and
// host:port flags. Every parser gets the whole input; the first NUL byte, if
// any, splits it into a host and a port for EppTarget::Parse.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_checks.h"

using namespace eppb;
using namespace eppb::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  std::string error;

  std::vector<Endpoint> list;
  if (ParseEndpointList(s, &list, &error)) {
    Require(!list.empty(), "empty list accepted");
    for (const auto& e : list) CheckEndpointRoundTrip(e);
    std::vector<Endpoint> again;
    Require(ParseEndpointList(JoinEndpoints(list), &again, &error) && again == list,
            "joined list does not parse back", JoinEndpoints(list));
  } else {
    Require(list.empty(), "failed parse left entries");
  }

  std::vector<SubsetToken> subset;
  if (ParseSubsetList(s, &subset, &error)) {
    for (const auto& t : subset) {
      bool v6 = false;
      Require(ParseIpLiteral(t.address, &v6).has_value(), "subset address is not an IP", t.address);
      Require(!t.port || *t.port != 0, "subset port 0");
    }
  } else {
    Require(subset.empty(), "failed subset parse left entries");
  }

  if (auto t = EppTarget::ParseHostPort(s, &error)) {
    CheckTargetRoundTrip(*t);
    Require(IsValidHeaderValue(t->Key()) && IsValidHeaderValue(t->GrpcUri()),
            "target key with control bytes", t->Key());
  }
  size_t nul = s.find('\0');
  if (nul != std::string_view::npos) {
    if (auto t = EppTarget::Parse(s.substr(0, nul), s.substr(nul + 1), &error)) {
      CheckTargetRoundTrip(*t);
    }
  }
  return 0;
}
