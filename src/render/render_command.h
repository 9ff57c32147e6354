// `epp-bridge render`: Gateway API manifests and the NGINX workload in; the
// workload (with or without the bridge container), the NGINX configuration
// and any Service a FailOpen pool needs out. Works as a Helm post-renderer:
// every manifest read from stdin is written to stdout.
#pragma once

#include <CLI/CLI.hpp>

#include "render/render_options.h"

namespace eppb {

struct RenderFlags {
  render::RenderOptions options;
  std::vector<std::string> resolve;
  std::vector<std::string> port_map;
  int health_port = 8081;
  int admin_port = 54801;
  bool quiet = false;
};

CLI::App* AddRenderCommand(CLI::App* app, RenderFlags* flags);
int RunRender(RenderFlags flags);

}  // namespace eppb
