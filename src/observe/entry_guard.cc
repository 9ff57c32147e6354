#include "observe/entry_guard.h"

#include "observe/logging.h"
#include "observe/metrics.h"

namespace eppb {

void ReportEscapedException(const char* where, const char* what) noexcept {
  try {
    Metrics::Get().CountInternalError(where);
    LogEventLimited(spdlog::level::err, "internal-error", {{"where", where}, {"what", what}});
  } catch (...) {  // nothing more can be done: counting or logging failed too
  }
}

}  // namespace eppb
