// How a request's body is framed, checked once its header is read and
// before any body byte is: RFC 9112 §6.1 leaves a server no safe reading of
// a Transfer-Encoding whose final coding is not chunked (the body's length
// is unknown) or of one in HTTP/1.0, and Beast would read such a request as
// having no body, leaving its body to be parsed as the next request.
#pragma once

#include <boost/beast/http/message.hpp>
#include <optional>

#include "common/bridge_answer.h"

namespace eppb {

// nullopt when the framing is one the bridge reads; otherwise the refusal
// (400, or 501 for a coding it does not implement); the connection is then
// closed after the answer.
std::optional<BridgeAnswer> CheckFraming(const boost::beast::http::request_header<>& req);

// Whether the client waits for 100 Continue before sending its body.
bool ExpectsContinue(const boost::beast::http::request_header<>& req);

}  // namespace eppb
