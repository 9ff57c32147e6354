// Completion records: NGINX's access-log datagrams on the completion socket
// (docs/protocol.md, "Response phase"). Anything may arrive on that socket.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "complete/completion_record.h"
#include "fuzz_checks.h"

using namespace eppb;
using namespace eppb::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  std::string error;
  CompletionRecord rec;
  if (ParseCompletionRecord(s, &rec, &error)) {
    Require(!rec.request_id.empty() && rec.request_id.size() <= 256, "bad request id length");
    Require(IsValidHeaderValue(rec.request_id), "request id with control bytes", rec.request_id);
    Require(rec.status >= 100 && rec.status <= 999, "status out of range");
    if (rec.served) CheckEndpointRoundTrip(*rec.served);
  }
  if (auto e = LastUpstream(s)) CheckEndpointRoundTrip(*e);
  return 0;
}
