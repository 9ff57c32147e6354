// Renders a BridgeAnswer as the HTTP response NGINX reads (docs/protocol.md).
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "bridge/bridge_answer.h"

namespace eppb {

using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

HttpResponse RenderAnswer(BridgeAnswer&& answer, unsigned http_version, bool keep_alive);

// The status line and header block of `res` as they go on the wire (what
// Beast's serializer writes for a response with a Content-Length), into
// `out`, which is cleared first; the body follows it unchanged.
void RenderHead(const HttpResponse& res, std::string* out);

}  // namespace eppb
