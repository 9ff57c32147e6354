// Process-wide logging (spdlog to stderr), as text or one JSON object per
// line. Request-path events go through LogEvent so that every line carries
// the same fields in both formats; failure events are rate-limited.
#pragma once

#include <spdlog/common.h>

#include <initializer_list>
#include <string>
#include <string_view>

namespace eppb {

// level: trace … error, off; format: text or json. False with *error otherwise.
bool SetupLogging(const std::string& level, std::string* error, const std::string& format = "text");

struct LogField {
  std::string_view key;
  std::string_view value;
};

// "event k=v …" in text, {"ts":…,"level":…,"event":…,"k":"v",…} in JSON.
void LogEvent(spdlog::level::level_enum level, std::string_view event,
              std::initializer_list<LogField> fields);
// As LogEvent, but at most `per_second` lines per event name; the next line
// that passes reports how many were suppressed.
void LogEventLimited(spdlog::level::level_enum level, std::string_view event,
                     std::initializer_list<LogField> fields, int per_second = 10);

}  // namespace eppb
