// The grpc-timeout request header: at most 8 ASCII digits and a unit
// (H hours, M minutes, S seconds, m milliseconds, u microseconds, n nanoseconds).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace eppb {

// The header value for `timeout`, rounded up to the finest unit that fits in
// 8 digits; a timeout of zero or less becomes "0m" (already expired).
std::string FormatGrpcTimeout(std::chrono::milliseconds timeout);

// The timeout a grpc-timeout value names; nullopt when it is malformed.
std::optional<std::chrono::nanoseconds> ParseGrpcTimeout(std::string_view value);

}  // namespace eppb
