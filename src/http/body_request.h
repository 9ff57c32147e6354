// Whether a picked answer carries the EPP's rewritten body (docs/protocol.md):
// only when the caller asked with `X-EPP-Want-Body: 1`. Callers that cannot
// take a large answer (NGF's epp.js: ngx.fetch buffers at most 1 MiB) never ask.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "common/bridge_answer.h"

namespace eppb {

// True when the request has `X-EPP-Want-Body: 1` (any other value: false).
bool WantsRewrittenBody(const boost::beast::http::request<boost::beast::http::string_body>& req);

// A picked answer keeps `body_mutated` (X-EPP-Body: mutated) but loses the
// body itself unless `wanted`; other answers are left alone.
void KeepRewrittenBodyIfWanted(BridgeAnswer* answer, bool wanted);

}  // namespace eppb
