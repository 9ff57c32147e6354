// The executor type of the HTTP/2 transport: a strand of the server's
// io_context. One strand per EPP target owns that target's connections,
// their nghttp2 sessions and every stream on them.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

namespace eppb {

using H2Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

}  // namespace eppb
