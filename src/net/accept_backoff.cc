#include "net/accept_backoff.h"

#include <cerrno>

#include "observe/logging.h"

namespace eppb {

std::chrono::milliseconds AfterAcceptError(const boost::system::error_code& ec,
                                           std::string_view listener) {
  const bool exhausted = ec.category() == boost::system::system_category() &&
                         (ec.value() == EMFILE || ec.value() == ENFILE || ec.value() == ENOBUFS ||
                          ec.value() == ENOMEM);
  LogEventLimited(spdlog::level::warn, "accept-failed",
                  {{"listener", listener},
                   {"error", ec.message()},
                   {"retry", exhausted ? "paused" : "at once"}},
                  /*per_second=*/1);
  return exhausted ? kAcceptPause : std::chrono::milliseconds(0);
}

}  // namespace eppb
