#include "extproc/message_builder.h"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <cstddef>

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

}  // namespace

void MessageBuilder::Build(const BridgeRequest& req, const Sink& sink) const {
  Headers(req, req.body.empty(), sink);
  size_t sent = 0;
  Body(req, req.body, &sent, true, sink);
}

void MessageBuilder::Headers(const BridgeRequest& req, bool end_of_stream, const Sink& sink) const {
  // A dozen headers fit the first block: no allocation for the message.
  alignas(std::max_align_t) char block[kHeadersArenaBytes];
  google::protobuf::ArenaOptions options;
  options.initial_block = block;
  options.initial_block_size = sizeof block;
  google::protobuf::Arena arena(options);
  auto& first = *google::protobuf::Arena::CreateMessage<extproc::ProcessingRequest>(&arena);
  auto* cfg = first.mutable_protocol_config();
  cfg->set_request_body_mode(ProcessingMode::FULL_DUPLEX_STREAMED);
  cfg->set_response_body_mode(ProcessingMode::FULL_DUPLEX_STREAMED);
  auto* hdrs = first.mutable_request_headers();
  for (const auto& h : req.headers) {
    auto* hv = hdrs->mutable_headers()->add_headers();
    hv->set_key(h.key);
    hv->set_raw_value(h.value);
  }
  hdrs->set_end_of_stream(end_of_stream);
  AttachSubset(req, &first);
  sink(first);
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
