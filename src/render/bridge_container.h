// The bridge container that render adds to the NGINX Pod when it routes to an
// InferencePool: non-root (uid 101, gid 1001), read-only root filesystem, no
// capabilities, seccomp RuntimeDefault, probes on the admin listener.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "render/render_options.h"

namespace eppb::render {

class BridgeContainer {
 public:
  // Where the completion socket's emptyDir is mounted, and its volume name.
  static constexpr const char* kRunVolume = "epp-bridge-run";

  // `completion_socket` empty: no --completion-socket (CompletionWiring
  // mounts its directory). --listen is the address NGINX reaches it on.
  static YAML::Node Build(const RenderOptions& options, const std::string& completion_socket);
  // The directory of a socket path ("/var/run/epp-bridge/c.sock" → "/var/run/epp-bridge").
  static std::string SocketDir(const std::string& socket);
  // The --completion-socket value in a container's args (either form), or "".
  static std::string CompletionSocketOf(const YAML::Node& container);
};

}  // namespace eppb::render
