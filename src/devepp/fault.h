// Per-request behaviour of the development EPP, chosen by the request header
// `x-dev-epp-fault` (comma-separated): `status=NNN` (ImmediateResponse;
// `body=BYTES` gives it a body of that many bytes),
// `delay=MS` (before deciding), `grpc-error`, `garbage-endpoint[=VALUE]` (names VALUE
// whatever the subset hint allows),
// `close-early`, `no-reply`, `no-metadata`, `metadata-only`, `mismatch`,
// `close-after-pick`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace eppb {

struct Fault {
  std::optional<int> status;
  size_t body_bytes = 0;  // the ImmediateResponse's body length (0: a short message)
  int delay_ms = 0;
  bool grpc_error = false;
  std::optional<std::string> garbage_endpoint;
  bool close_early = false;
  bool no_reply = false;
  bool no_metadata = false;       // endpoint only in the header mutation
  bool metadata_only = false;     // endpoint only in dynamic metadata
  bool mismatch = false;          // header and metadata name different endpoints
  bool close_after_pick = false;  // end the stream right after the decision

  // Unknown items are ignored; a malformed number disables its item.
  static Fault Parse(std::string_view header);
};

}  // namespace eppb
