// epp-bridge: subcommand dispatch only.
#include <absl/synchronization/mutex.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "devepp/dev_epp_command.h"
#include "pick/pick_command.h"
#include "render/render_command.h"
#include "serve/serve_command.h"

int main(int argc, char** argv) {
  // Debian builds abseil without NDEBUG, so every absl::Mutex (gRPC locks
  // several per call) would run the deadlock detector: about 7% of the
  // bridge's instructions per request. Off before any thread starts.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"epp-bridge: NGINX ↔ Endpoint Picker (Envoy ext_proc) bridge", "epp-bridge"};
  app.set_version_flag("--version", std::string("epp-bridge ") + EPP_BRIDGE_VERSION);
  app.require_subcommand(1);
  eppb::ServeOptions serve;
  eppb::DevEppFlags dev;
  eppb::PickOptions pick;
  eppb::RenderFlags render;
  auto* serve_cmd = eppb::AddServeCommand(&app, &serve);
  auto* dev_cmd = eppb::AddDevEppCommand(&app, &dev);
  auto* pick_cmd = eppb::AddPickCommand(&app, &pick);
  auto* render_cmd = eppb::AddRenderCommand(&app, &render);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, std::cout, std::cerr) == 0 ? 0 : 2;
  }
  if (serve_cmd->parsed()) return eppb::RunServe(serve);
  if (dev_cmd->parsed()) return eppb::RunDevEpp(dev);
  if (pick_cmd->parsed()) return eppb::RunPick(pick);
  if (render_cmd->parsed()) return eppb::RunRender(render);
  return 2;
}
