// The EPP-side TLS flags, shared by `serve` and `pick`.
#pragma once

#include <CLI/CLI.hpp>

#include "common/tls_config.h"

namespace eppb {

void AddTlsFlags(CLI::App* app, TlsConfig* tls);
// Checks combinations; false with *error when they contradict each other.
bool ValidateTls(TlsConfig* tls, std::string* error);

}  // namespace eppb
