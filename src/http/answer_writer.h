// Renders a BridgeAnswer as the HTTP response NGINX reads (docs/protocol.md).
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "bridge/bridge_answer.h"

namespace eppb {

using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

HttpResponse RenderAnswer(BridgeAnswer&& answer, unsigned http_version, bool keep_alive);

}  // namespace eppb
