// Per-request behaviour of the development EPP, chosen by the request header
// `x-dev-epp-fault` (comma-separated): `status=NNN` (ImmediateResponse;
// `body=BYTES` gives it a body of that many bytes),
// `delay=MS` (before deciding), `grpc-error`, `garbage-endpoint[=VALUE]` (names VALUE
// whatever the subset hint allows),
// `close-early`, `no-reply`, `no-metadata`, `metadata-only`, `mismatch`,
// `close-after-pick`.
//
// Hostile answers (each size capped, so the dev-epp itself stays bounded):
// `endpoints=N` (the decision lists N endpoints: the pick, then other ports on
// 127.0.0.1), `remove=N` (the headers reply removes `x-dev-epp-fault` N times),
// `set-header-bytes=N` (sets `x-dev-epp-big` to an N-byte value),
// `immediate-destination=VALUE` (an ImmediateResponse 200 that also sets
// `x-gateway-destination-endpoint` and `x-epp-endpoints` to VALUE),
// `endless-body` (after the headers reply, 64 KiB body replies of changing
// bytes until the stream is cancelled), `ignore-half-close` (decides, then
// keeps the stream open after the client half-closes, until cancelled),
// `decide-on-headers` (decides on the headers message, before any body, as
// an EPP that refuses early).
#pragma once

#include <cstddef>
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
  size_t endpoints = 0;           // endpoints=N (0: the usual list)
  size_t remove_repeats = 0;      // remove=N
  size_t set_header_bytes = 0;    // set-header-bytes=N
  std::optional<std::string> immediate_destination;
  bool endless_body = false;
  bool ignore_half_close = false;
  bool decide_on_headers = false;

  // Caps of the counts and sizes above.
  static constexpr size_t kMaxCount = 100000;
  static constexpr size_t kMaxHeaderBytes = 1u << 20;
  static constexpr size_t kEndlessChunkBytes = 64 * 1024;

  // Unknown items are ignored; a malformed number disables its item.
  static Fault Parse(std::string_view header);
};

}  // namespace eppb
