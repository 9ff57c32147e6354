// Renders a BridgeAnswer as the HTTP response NGINX reads (docs/protocol.md).
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "common/bridge_answer.h"

namespace eppb {

using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// Never throws: an answer whose head Beast could not hold (over
// kMaxRenderableHeadBytes; the reply interpreter refuses such answers long
// before) becomes 502 `epp-answer-too-large`, and any other failure a 502
// `render-failed` (Connection: close).
HttpResponse RenderAnswer(BridgeAnswer&& answer, unsigned http_version, bool keep_alive) noexcept;

// The answer's status line and header block into `head` and its body into
// `body`, as RenderHead of RenderAnswer's response would give them; a pick
// is written directly, without building Beast's fields. Never throws.
void RenderAnswerTo(BridgeAnswer&& answer, unsigned http_version, bool keep_alive,
                    std::string* head, std::string* body) noexcept;

// The status line and header block of `res` as they go on the wire (what
// Beast's serializer writes for a response with a Content-Length), into
// `out`, which is cleared first; the body follows it unchanged. Never throws.
void RenderHead(const HttpResponse& res, std::string* out) noexcept;

}  // namespace eppb
