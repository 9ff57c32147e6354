// `epp-bridge serve`: the sidecar NGINX calls once per inference request.
#pragma once

#include <CLI/CLI.hpp>

#include "serve/serve_options.h"

namespace eppb {

CLI::App* AddServeCommand(CLI::App* app, ServeOptions* options);
// Runs until SIGTERM/SIGINT and a drain; returns the process exit code.
int RunServe(ServeOptions options);

}  // namespace eppb
