// `epp-bridge pick`: send one request to an EPP and print its decision, or
// with --requests/--concurrency measure the EPP directly over gRPC (the
// floor the bridge is benchmarked against).
#pragma once

#include <CLI/CLI.hpp>

#include "pick/pick_options.h"

namespace eppb {

CLI::App* AddPickCommand(CLI::App* app, PickOptions* options);
int RunPick(PickOptions options);

}  // namespace eppb
