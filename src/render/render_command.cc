#include "render/render_command.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/flags.h"
#include "common/endpoint.h"
#include "render/manifest.h"
#include "render/renderer.h"

namespace eppb {

namespace {

bool ReadText(const std::string& path, std::string* text, std::string* error) {
  if (path == "-") {
    *text = std::string(std::istreambuf_iterator<char>(std::cin), {});
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot read";
    return false;
  }
  *text = std::string(std::istreambuf_iterator<char>(in), {});
  return true;
}

bool WriteText(const std::string& path, const std::string& text, std::string* error) {
  if (path.empty() || path == "-") {
    std::cout << text << std::flush;
    return static_cast<bool>(std::cout);
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) *error = path + ": cannot write";
  return static_cast<bool>(out);
}

// "host:port" with a port 1-65535.
bool IsHostPort(const std::string& s) {
  const auto colon = s.rfind(':');
  return colon != std::string::npos && colon > 0 && ParsePort(s.substr(colon + 1)).has_value() &&
         s.find_first_of(" \t;{}\"'") == std::string::npos;
}

bool ParseFlags(RenderFlags* f, std::string* error) {
  auto& o = f->options;
  for (const auto& r : f->resolve) {
    const auto eq = r.find('=');
    const std::string from = r.substr(0, eq);
    if (eq == std::string::npos || !IsHostPort(from)) {
      *error = "--resolve " + r + ": expected HOST:PORT=ADDR:PORT[,ADDR:PORT...]";
      return false;
    }
    std::vector<std::string> to;
    std::stringstream list(r.substr(eq + 1));
    for (std::string item; std::getline(list, item, ',');) {
      if (!IsHostPort(item)) {
        *error = "--resolve " + r + ": \"" + item + "\" is not ADDR:PORT";
        return false;
      }
      to.push_back(item);
    }
    if (to.empty()) {
      *error = "--resolve " + r + ": no address after '='";
      return false;
    }
    o.resolve[from] = to;
  }
  for (const auto& p : f->port_map) {
    const auto eq = p.find('=');
    auto from = ParsePort(p.substr(0, eq));
    auto to = eq == std::string::npos ? std::nullopt : ParsePort(p.substr(eq + 1));
    if (!from || !to) {
      *error = "--port " + p + ": expected LISTENER_PORT=PORT";
      return false;
    }
    o.port_map[*from] = *to;
  }
  if (f->health_port < 0 || f->health_port > 65535) {
    *error = "--health-port must be 0 (none) to 65535";
    return false;
  }
  o.health_port = static_cast<uint16_t>(f->health_port);
  auto admin = ParsePort(std::to_string(f->admin_port));
  if (!admin) {
    *error = "--admin-port must be 1 to 65535";
    return false;
  }
  o.admin_port = *admin;
  if (!IsHostPort(o.bridge_address)) {
    *error = "--bridge " + o.bridge_address + ": expected ADDR:PORT";
    return false;
  }
  if (!o.completion_socket.empty() && o.completion_socket.front() != '/') {
    *error = "--completion-socket must be an absolute path";
    return false;
  }
  for (const std::string* s :
       {&o.njs_dir, &o.max_body, &o.worker_processes, &o.access_log, &o.error_log,
        &o.listen_address, &o.completion_log_format, &o.cluster_domain}) {
    if (s->find_first_of(" \t\r\n;{}\"'") != std::string::npos) {
      *error = "\"" + *s + "\": spaces, quotes, ';' and braces are not allowed in NGINX settings";
      return false;
    }
  }
  return true;
}

}  // namespace

CLI::App* AddRenderCommand(CLI::App* app, RenderFlags* f) {
  auto* cmd = app->add_subcommand(
      "render",
      "Render the NGINX configuration and Pod for a Gateway's HTTPRoutes (a Helm post-renderer)");
  auto& o = f->options;
  const std::string in = "Input";
  const std::string out = "Output";
  const std::string ng = "NGINX configuration";
  const std::string br = "Bridge container";
  cmd->add_option("files", o.inputs,
                  "Manifests to read and write out again (\"-\": stdin; none: stdin)")
      ->group(in);
  // One file per --context (repeat the flag): a following word is a file to
  // write, never a further context file.
  AddOpt(cmd, "--context", o.context,
         "A manifest file to read but not write (Gateway, HTTPRoute, InferencePool, Service); "
         "repeat for more",
         in)
      ->allow_extra_args(false)
      ->type_size(1);
  AddFlag(cmd, "--config-only", o.config_only,
          "Render the configuration alone: no NGINX workload among the manifests to write "
          "(without this, its absence is an error)",
          in);
  AddOpt(cmd, "--namespace", o.default_namespace, "Namespace of objects that name none", in);
  AddOpt(cmd, "--gateway", o.gateway, "[NS/]NAME of the Gateway (default: the only one)", in);
  AddOpt(cmd, "--workload", o.workload,
         "[NS/]NAME of the NGINX Deployment or DaemonSet (default: the one annotated "
         "epp-bridge.io/nginx: \"true\", else the one with the NGINX container)",
         in);
  AddOpt(cmd, "--nginx-container", o.nginx_container, "Name of the NGINX container", in);
  AddOpt(cmd, "-o,--output", o.output, "Write the manifests here instead of stdout", out);
  AddOpt(cmd, "--nginx-conf-out", o.nginx_conf_out,
         "Also write nginx.conf to this file (and epp-completion.conf beside it)", out);
  AddOpt(cmd, "--configmap", o.configmap,
         "ConfigMap that receives nginx.conf (default: the one annotated "
         "epp-bridge.io/nginx-conf: \"true\")",
         out);
  AddFlag(cmd, "-q,--quiet", f->quiet, "Do not print warnings", out);
  AddOpt(cmd, "--cluster-domain", o.cluster_domain, "Cluster DNS domain of Service names", ng);
  AddOpt(cmd, "--resolve", f->resolve,
         "HOST:PORT=ADDR:PORT[,ADDR:PORT...]: use these addresses for a Service address "
         "(repeatable; for tests outside a cluster)",
         ng);
  AddOpt(cmd, "--listen-address", o.listen_address, "Address NGINX listens on (default: all)", ng);
  AddOpt(cmd, "--port", f->port_map, "LISTENER_PORT=PORT: listen on PORT for a listener's port",
         ng);
  AddOpt(cmd, "--bridge", o.bridge_address, "The bridge's ADDR:PORT as NGINX reaches it", ng);
  AddOpt(cmd, "--njs-dir", o.njs_dir, "Directory of epp.js (js_path)", ng);
  AddOpt(cmd, "--health-port", f->health_port, "Port of NGINX's /healthz server (0: none)", ng);
  AddOpt(cmd, "--completion-socket", o.completion_socket,
         "Unix socket of the response phase, shared by NGINX and the bridge in an emptyDir "
         "(a bridge container of the workload with its own --completion-socket decides; "
         "empty: off)",
         ng)
      ->each([f](const std::string&) { f->options.completion_socket_set = true; });
  AddOpt(cmd, "--completion-log-format", o.completion_log_format,
         "log_format of the completion records", ng);
  AddOpt(cmd, "--max-body", o.max_body, "client_max_body_size", ng);
  AddOpt(cmd, "--worker-processes", o.worker_processes, "worker_processes", ng);
  AddOpt(cmd, "--access-log", o.access_log, "access_log path", ng);
  AddOpt(cmd, "--error-log", o.error_log, "error_log path", ng);
  AddOpt(cmd, "--bridge-container", o.bridge_container, "Name of the bridge container", br);
  AddOpt(cmd, "--bridge-image", o.bridge_image, "Image of the bridge container render adds", br);
  AddFlag(cmd, "--native-sidecar", o.native_sidecar,
          "Add the bridge as a native sidecar (an initContainer with restartPolicy Always)", br);
  AddOpt(cmd, "--admin-port", f->admin_port, "Port of the bridge's admin listener (probes)", br);
  AddOpt(cmd, "--bridge-arg", o.bridge_args, "Extra argument of `serve` (repeatable)", br);
  return cmd;
}

int RunRender(RenderFlags f) {
  std::string error;
  if (!ParseFlags(&f, &error)) {
    std::cerr << "epp-bridge render: " << error << "\n";
    return 2;
  }
  const auto& o = f.options;
  render::ManifestReader reader(o.default_namespace);
  std::vector<render::Manifest> manifests;
  std::vector<std::string> inputs = o.inputs.empty() ? std::vector<std::string>{"-"} : o.inputs;
  bool ok = true;
  for (const auto& path : inputs) {
    std::string text;
    ok = ok && ReadText(path, &text, &error) &&
         reader.Read(text, path == "-" ? "stdin" : path, true, &manifests, &error);
  }
  for (const auto& path : o.context) {
    std::string text;
    ok = ok && ReadText(path, &text, &error) &&
         reader.Read(text, path == "-" ? "stdin" : path, false, &manifests, &error);
  }
  render::RenderResult result;
  if (ok) {
    try {
      ok = render::Renderer(o).Render(std::move(manifests), &result, &error);
    } catch (const YAML::Exception& e) {
      error = std::string("malformed manifest: ") + e.what();
      ok = false;
    }
  }
  if (!ok) {
    std::cerr << "epp-bridge render: " << error << "\n";
    return 1;
  }
  if (!f.quiet) {
    for (const auto& w : result.warnings) std::cerr << "epp-bridge render: warning: " << w << "\n";
  }
  // epp-completion.conf goes beside nginx.conf, where epp-proxy.conf includes it.
  const auto slash = o.nginx_conf_out.rfind('/');
  const std::string completion_out =
      (slash == std::string::npos ? "" : o.nginx_conf_out.substr(0, slash + 1)) +
      render::Renderer::kCompletionKey;
  if ((!o.nginx_conf_out.empty() && !WriteText(o.nginx_conf_out, result.nginx_conf, &error)) ||
      (!o.nginx_conf_out.empty() && result.bridge &&
       !WriteText(completion_out, result.completion_conf, &error)) ||
      !WriteText(o.output, result.manifests, &error)) {
    std::cerr << "epp-bridge render: " << error << "\n";
    return 1;
  }
  return 0;
}

}  // namespace eppb
