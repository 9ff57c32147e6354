// `epp-bridge render` settings, from the command line.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace eppb::render {

struct RenderOptions {
  // Inputs. Manifests from `inputs` (files, "-" for stdin; none: stdin) are
  // written out again; manifests from `context` are read for reference only.
  std::vector<std::string> inputs;
  std::vector<std::string> context;
  std::string default_namespace = "default";
  std::string gateway;   // [ns/]name; empty: the only Gateway of the input
  std::string workload;  // [ns/]name of the NGINX Deployment or DaemonSet
  std::string nginx_container = "nginx";
  // Render only the configuration: no NGINX workload is expected among the
  // manifests to write (otherwise its absence is an error).
  bool config_only = false;

  // Outputs.
  std::string output;          // manifests; empty or "-": stdout
  std::string nginx_conf_out;  // also write nginx.conf to this file
  std::string configmap;       // ConfigMap that receives nginx.conf

  // The NGINX configuration.
  std::string cluster_domain = "cluster.local";
  // "host:port" in the configuration → replacement "addr:port" entries (tests).
  std::map<std::string, std::vector<std::string>> resolve;
  std::string listen_address;             // empty: `listen PORT`
  std::map<uint16_t, uint16_t> port_map;  // listener port → port NGINX listens on
  std::string bridge_address = "127.0.0.1:54800";
  std::string njs_dir = "/etc/nginx/njs";
  uint16_t health_port = 8081;  // 0: no health server
  // The response phase: NGINX's completion records to the bridge. Empty: off.
  // A bridge container in the workload (or --bridge-arg) with its own
  // --completion-socket decides, and must agree when this was set explicitly.
  std::string completion_socket = "/var/run/epp-bridge/completion.sock";
  bool completion_socket_set = false;
  std::string completion_log_format = "epp_completion";
  std::string max_body = "16m";
  std::string worker_processes = "auto";
  std::string access_log = "/dev/stdout";
  std::string error_log = "stderr";

  // Where the NGINX container finds its files (render mounts them there when
  // the workload does not, and runs `nginx -p PREFIX -c CONF_DIR/nginx.conf`).
  std::string nginx_conf_dir = "/etc/nginx/epp";
  std::string nginx_prefix = "/var/cache/nginx/";
  // The Pod's fsGroup when it has none: the completion socket's group, which
  // NGINX's workers and the bridge share.
  int64_t socket_group = 1001;
  // NGINX's uid when neither the Pod nor its container sets runAsUser.
  int64_t nginx_user = 101;

  // The bridge container render adds when the workload has none.
  std::string bridge_container = "epp-bridge";
  std::string bridge_image = "epp-bridge:0.1.0";
  bool native_sidecar = false;
  uint16_t admin_port = 54801;
  std::vector<std::string> bridge_args;  // appended to `serve ...`
};

}  // namespace eppb::render
