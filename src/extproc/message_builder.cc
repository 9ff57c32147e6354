#include "extproc/message_builder.h"

#include <algorithm>
#include <cstddef>
#include <optional>

#include "extproc/metadata_keys.h"

namespace eppb {
namespace {

using envoy::extensions::filters::http::ext_proc::v3::ProcessingMode;

void AttachSubset(const BridgeRequest& req, extproc::ProcessingRequest* msg) {
  if (req.subset.empty()) return;
  auto& ns = (*msg->mutable_metadata_context()->mutable_filter_metadata())[kSubsetNamespace];
  auto* list = (*ns.mutable_fields())[kSubsetKey].mutable_list_value();
  for (const auto& s : req.subset) list->add_values()->set_string_value(s);
}

void SetModes(extproc::ProcessingRequest* msg) {
  auto* cfg = msg->mutable_protocol_config();
  cfg->set_request_body_mode(ProcessingMode::FULL_DUPLEX_STREAMED);
  cfg->set_response_body_mode(ProcessingMode::FULL_DUPLEX_STREAMED);
}

// The request's headers into `out`, whose entries are reused; the bytes of
// their names and values.
size_t Fill(const BridgeRequest& req, bool end_of_stream, extproc::HttpHeaders* out) {
  auto* list = out->mutable_headers()->mutable_headers();
  list->Clear();
  size_t bytes = 0;
  for (const auto& h : req.headers) {
    auto* hv = list->Add();
    hv->set_key(h.key);
    hv->set_raw_value(h.value);
    bytes += h.key.size() + h.value.size();
  }
  out->set_end_of_stream(end_of_stream);
  return bytes;
}

}  // namespace

void MessageBuilder::Build(const BridgeRequest& req, const Sink& sink) const {
  Headers(req, req.body.empty(), sink);
  size_t sent = 0;
  Body(req, req.body, &sent, true, sink);
}

void MessageBuilder::Headers(const BridgeRequest& req, bool end_of_stream, const Sink& sink) const {
  // Each thread keeps one headers message between requests. Clearing a
  // repeated field keeps its entries, and a cleared string keeps its
  // capacity, so once a thread has built a request as large, building one
  // allocates nothing. The headers part is lent to the message for the
  // sink's call only: a message without an arena deletes the part of its
  // oneof it owns when it is cleared.
  struct Kept {
    extproc::ProcessingRequest first;
    extproc::HttpHeaders headers;
    bool busy = false;  // lent out: a sink that builds again gets a Kept of its own
  };
  thread_local Kept kept;
  std::optional<Kept> own;
  Kept& k = kept.busy ? own.emplace() : kept;
  k.busy = true;
  size_t bytes = Fill(req, end_of_stream, &k.headers);
  if (!k.first.has_protocol_config()) SetModes(&k.first);
  k.first.unsafe_arena_set_allocated_request_headers(&k.headers);
  AttachSubset(req, &k.first);
  struct Return {  // also when the sink throws
    Kept& k;
    size_t bytes;
    ~Return() {
      k.first.unsafe_arena_release_request_headers();
      k.first.clear_metadata_context();
      // What a thread keeps is bounded: a larger request's entries go.
      if (bytes > kKeptHeaderBytes) extproc::HttpHeaders().Swap(&k.headers);
      k.busy = false;
    }
  } give_back{k, bytes};
  sink(k.first);
}

void MessageBuilder::Body(const BridgeRequest& req, std::string_view body, size_t* sent, bool end,
                          const Sink& sink) const {
  const size_t chunk = std::max<size_t>(1, chunk_bytes_);
  while (*sent < body.size() && (end || body.size() - *sent > chunk)) {
    extproc::ProcessingRequest msg;
    auto* part = msg.mutable_request_body();
    size_t n = std::min(chunk, body.size() - *sent);
    part->set_body(body.data() + *sent, n);
    *sent += n;
    part->set_end_of_stream(end && *sent == body.size());
    AttachSubset(req, &msg);
    sink(msg);
  }
}

}  // namespace eppb
