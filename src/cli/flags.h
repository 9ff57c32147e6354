// Small helpers over CLI11 so that every flag also reads an environment
// variable (EPP_BRIDGE_<FLAG_NAME>) and sits in a help group.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace eppb {

// "--deadline-ms" → "EPP_BRIDGE_DEADLINE_MS" for `serve`, and
// "EPP_BRIDGE_<SUBCOMMAND>_DEADLINE_MS" for the other subcommands.
std::string EnvNameFor(const CLI::App* app, const std::string& flag);

template <typename T>
CLI::Option* AddOpt(CLI::App* app, const std::string& flag, T& var, const std::string& help,
                    const std::string& group) {
  return app->add_option(flag, var, help)
      ->envname(EnvNameFor(app, flag))
      ->group(group)
      ->capture_default_str();
}

inline CLI::Option* AddFlag(CLI::App* app, const std::string& flag, bool& var,
                            const std::string& help, const std::string& group) {
  return app->add_flag(flag, var, help)->envname(EnvNameFor(app, flag))->group(group);
}

}  // namespace eppb
