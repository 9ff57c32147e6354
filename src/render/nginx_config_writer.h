// Writes a whole nginx.conf for a RoutingPlan, and the epp-completion.conf
// beside it. Inference locations use the
// wiring of deploy/nginx (epp-http.conf, epp-server.conf, epp-proxy.conf) and
// njs/epp.js's variables ($epp_host, $epp_port, $epp_failure_mode,
// $epp_fallback); docs/nginx.md describes them. Relative paths (pid, temporary
// files) are under NGINX's prefix (-p); includes are beside nginx.conf.
#pragma once

#include <string>

#include "render/render_options.h"
#include "render/routing_plan.h"

namespace eppb::render {

class NginxConfigWriter {
 public:
  NginxConfigWriter(const RenderOptions& options, std::string completion_socket);
  std::string Write(RoutingPlan plan) const;
  // epp-completion.conf, which deploy/nginx/epp-proxy.conf includes in the
  // proxy locations (as deploy/nginx/epp-completion.conf.in): the access log
  // and, with a completion socket, the completion record for the bridge.
  std::string WriteCompletionConf() const;

  // split_clients percentages for weights: "70%", "33.33%"; the last entry is "*".
  static std::vector<std::string> Percentages(const std::vector<int64_t>& weights);

 private:
  std::string Listen(uint16_t port, bool default_server) const;
  void WriteUpstreams(const RoutingPlan& plan, std::string* out) const;
  void WriteSplits(const RoutingPlan& plan, std::string* out) const;
  void WriteServer(const RoutingPlan& plan, const Server& server, std::string* out) const;
  void WriteLocationBody(const RoutingPlan& plan, const Location& loc, std::string* out) const;

  const RenderOptions& options_;
  std::string completion_socket_;
};

}  // namespace eppb::render
