// Process-wide logging setup (spdlog to stderr).
#pragma once

#include <string>

namespace eppb {

// Sets the level ("trace" … "error"); false with *error for an unknown level.
bool SetupLogging(const std::string& level, std::string* error);

}  // namespace eppb
