// HTTP request → ext_proc messages: raw bytes from NGINX through the Beast
// parser (with the bridge's limits, as src/http/session.cc sets them), the
// request translator and the message builder. Several requests may follow
// each other on one keep-alive connection, so the rest of the input is parsed
// again after each complete request.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <variant>

#include "extproc/message_builder.h"
#include "extproc/reply_interpreter.h"
#include "fuzz_checks.h"
#include "http/request_translator.h"

namespace http = boost::beast::http;
using namespace eppb;
using namespace eppb::fuzz;

namespace {

const HttpLimits& DefaultLimits() {
  static const HttpLimits limits;  // the serve defaults
  return limits;
}

const HttpLimits& AllowListLimits() {
  static const HttpLimits limits = [] {
    HttpLimits l;
    std::string error;
    l.allowed_epps.push_back(*EppTarget::ParseHostPort("127.0.0.1:9002", &error));
    auto any_port = *EppTarget::Parse("epp.local", "1", &error);
    any_port.port = 0;  // a host alone allows any port, as --allowed-epp reads it
    l.allowed_epps.push_back(any_port);
    l.max_headers = 8;
    return l;
  }();
  return limits;
}

void CheckMessages(const BridgeRequest& req, size_t chunk) {
  MessageBuilder builder(chunk);
  size_t count = 0, body_bytes = 0;
  bool saw_end = false;
  builder.Build(req, [&](const extproc::ProcessingRequest& msg) {
    Require(!saw_end, "message after end_of_stream");
    if (count == 0) {
      Require(msg.has_request_headers() && msg.has_protocol_config(),
              "first message is not headers with protocol_config");
      Require(
          msg.request_headers().headers().headers_size() == static_cast<int>(req.headers.size()),
          "header count changed");
      saw_end = msg.request_headers().end_of_stream();
    } else {
      Require(msg.has_request_body() && !msg.has_protocol_config(), "body message expected");
      Require(msg.request_body().body().size() <= chunk, "chunk over the chunk size");
      body_bytes += msg.request_body().body().size();
      saw_end = msg.request_body().end_of_stream();
    }
    Require(msg.has_metadata_context() == !req.subset.empty(), "subset hint missing or extra");
    std::string wire;
    Require(msg.SerializeToString(&wire), "message does not serialise");
    extproc::ProcessingRequest again;
    Require(again.ParseFromString(wire), "serialised message does not parse");
    ++count;
  });
  Require(saw_end, "no end_of_stream");
  Require(body_bytes == req.body.size(), "body bytes lost or added");
}

void CheckTranslation(RequestTranslator::HttpRequest req, const HttpLimits& limits) {
  RequestTranslator translator(limits);
  unsigned version = req.version();
  bool keep_alive = req.keep_alive();
  auto result = translator.Translate(req);
  if (auto* rejection = std::get_if<BridgeAnswer>(&result)) {
    Require(rejection->outcome == Outcome::kRejected, "rejection with another outcome");
    CheckRendered(RenderAnswer(std::move(*rejection), version, keep_alive));
    return;
  }
  auto& out = std::get<BridgeRequest>(result);
  CheckTargetRoundTrip(out.target);
  Require(!out.request_id.empty() && IsValidHeaderValue(out.request_id), "bad request id",
          out.request_id);
  Require(!out.headers.empty() && out.headers.front().key == ":method", ":method not first");
  for (const auto& h : out.headers) {
    Require(h.key == ToLower(h.key), "header key not lower-cased", h.key);
    Require(!IsHopByHop(h.key) && !IsControlHeader(h.key) && h.key != "host",
            "hop-by-hop, control or host header forwarded", h.key);
  }
  for (const auto& s : out.subset) {
    std::vector<SubsetToken> tokens;
    std::string error;
    Require(ParseSubsetList(s, &tokens, &error) && tokens.size() == 1, "bad subset entry", s);
  }
  CheckMessages(out, 17);
  CheckMessages(out, 65536);
  // The reply side starts from the same request.
  ReplyInterpreter interpreter(std::make_shared<const BridgeRequest>(std::move(out)), 1 << 20);
  (void)interpreter;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  boost::beast::flat_buffer buffer;
  {
    auto mb = buffer.prepare(size);
    std::memcpy(mb.data(), data, size);
    buffer.commit(size);
  }
  const HttpLimits& limits = DefaultLimits();
  for (int n = 0; n < 4 && buffer.size() > 0; ++n) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    boost::beast::error_code ec;
    while (!parser.is_done()) {
      size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == http::error::need_more) {
        if (buffer.size() == 0) break;  // the input ended mid-request
        ec = {};
        if (used == 0) break;
        continue;
      }
      if (ec || used == 0) break;
    }
    if (!parser.is_done() && !ec && buffer.size() == 0) parser.put_eof(ec);
    if (ec || !parser.is_done()) {
      // The session answers 400/413/431 without translating.
      return 0;
    }
    auto req = parser.release();
    CheckTranslation(req, AllowListLimits());
    CheckTranslation(std::move(req), limits);
  }
  return 0;
}
