// What an accept loop does after a failed accept. Out of descriptors
// (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM) the connection stays in
// the listen queue, so accepting again at once would spin: the loop pauses
// kAcceptPause first. The log line is rate-limited either way.
#pragma once

#include <boost/system/error_code.hpp>
#include <chrono>
#include <string_view>

namespace eppb {

inline constexpr std::chrono::milliseconds kAcceptPause{100};

// Logs the failure (at most one line a second) and returns how long to wait
// before the next accept: kAcceptPause when out of resources, else zero.
std::chrono::milliseconds AfterAcceptError(const boost::system::error_code& ec,
                                           std::string_view listener);

}  // namespace eppb
