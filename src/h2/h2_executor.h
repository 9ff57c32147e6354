// The executor type of the HTTP/2 transport: a worker's loop, which one
// thread runs (net/worker_loops.h), so what runs on it runs in order with no
// strand. Per EPP target, each worker's pool owns that worker's connections
// to the target, their nghttp2 sessions and every stream on them.
#pragma once

#include <boost/asio/io_context.hpp>

namespace eppb {

using H2Executor = boost::asio::io_context::executor_type;

}  // namespace eppb
