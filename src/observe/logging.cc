#include "observe/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace eppb {

bool SetupLogging(const std::string& level, std::string* error) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    *error = "--log-level must be one of trace, debug, info, warn, error, off; got '" + level + "'";
    return false;
  }
  auto logger = spdlog::get("epp-bridge");
  if (!logger) logger = spdlog::stderr_logger_mt("epp-bridge");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  spdlog::set_level(lvl);
  spdlog::flush_on(spdlog::level::info);
  return true;
}

}  // namespace eppb
