// Defaults shared by several parts (serve, pick, the HTTP side, dev-epp):
// each is defined here once and used by name everywhere else.
#pragma once

#include <chrono>
#include <cstddef>

namespace eppb {

// One exchange, first message to decision. The EPP may hold a request in
// its flow-control queue, so this is seconds, not milliseconds (README).
inline constexpr std::chrono::milliseconds kDefaultDeadline{30000};

// Largest request body (and EPP body reply) the bridge takes.
inline constexpr size_t kDefaultMaxBodyBytes = size_t{64} << 20;

// EPP connections, both transports. A PING while streams are open: at least
// gRPC servers' default minimum ping interval (5 minutes), or the EPP may
// end the connection (GOAWAY ENHANCE_YOUR_CALM) and the streams held on it.
inline constexpr std::chrono::milliseconds kDefaultEppKeepalive{300000};
// An unanswered PING ends the connection.
inline constexpr std::chrono::milliseconds kDefaultEppKeepaliveTimeout{10000};
inline constexpr std::chrono::milliseconds kDefaultEppConnectTimeout{10000};

// The ext_proc service: the gRPC service name, and the name the bridge
// asks grpc.health.v1 about.
inline constexpr const char* kExtProcService = "envoy.service.ext_proc.v3.ExternalProcessor";

}  // namespace eppb
