#include "extproc/tracked_ext_proc_client.h"

#include <spdlog/spdlog.h>

#include <string>

#include "observe/logging.h"

namespace eppb {

void TrackedExtProcClient::CancelWhatIsLeft() {
  if (!CancelAllAndWait(std::chrono::seconds(2))) {
    LogEvent(spdlog::level::warn, "epp-streams-left-at-exit",
             {{"count", std::to_string(live_streams())}});
  }
}

}  // namespace eppb
