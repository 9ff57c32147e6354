#include "render/nginx_config_writer.h"

#include <fmt/format.h>

#include <set>

namespace eppb::render {

namespace {

constexpr const char* kJsModule = "/usr/lib/nginx/modules/ngx_http_js_module.so";

// A location path as NGINX reads it: quoted when it holds characters that
// NGINX's parser treats specially.
std::string LocationPath(const std::string& path) {
  for (char c : path) {
    if (std::string_view(";'(){}$!&*+,=@").find(c) != std::string_view::npos) {
      return "\"" + path + "\"";
    }
  }
  return path;
}

std::string SplitVar(const Location& loc) { return fmt::format("$epp_split_{}", loc.split_id); }

std::string ChoiceKey(size_t index) { return fmt::format("c{}", index); }

}  // namespace

NginxConfigWriter::NginxConfigWriter(const RenderOptions& options, std::string completion_socket)
    : options_(options), completion_socket_(std::move(completion_socket)) {}

std::vector<std::string> NginxConfigWriter::Percentages(const std::vector<int64_t>& weights) {
  int64_t total = 0;
  for (auto w : weights) total += w;
  std::vector<std::string> out;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (i + 1 == weights.size()) {
      out.push_back("*");
      break;
    }
    int64_t hundredths = total == 0 ? 0 : weights[i] * 10000 / total;  // floor
    if (hundredths == 0) hundredths = 1;
    std::string p = fmt::format("{}.{:02d}", hundredths / 100, hundredths % 100);
    while (p.back() == '0') p.pop_back();
    if (p.back() == '.') p.pop_back();
    out.push_back(p + "%");
  }
  return out;
}

std::string NginxConfigWriter::Listen(uint16_t port, bool default_server) const {
  auto it = options_.port_map.find(port);
  const uint16_t local = it == options_.port_map.end() ? port : it->second;
  std::string addr = options_.listen_address.empty()
                         ? std::to_string(local)
                         : options_.listen_address + ":" + std::to_string(local);
  return "listen " + addr + (default_server ? " default_server" : "") + ";";
}

void NginxConfigWriter::WriteUpstreams(const RoutingPlan& plan, std::string* out) const {
  for (const auto& p : plan.pools) {
    if (p.fallback_upstream.empty()) continue;
    *out += fmt::format(
        "\n    # InferencePool {} (FailOpen): its members, through Service {}/{}.\n"
        "    upstream {} {{\n",
        p.key.ToString(), p.key.ns, p.fallback_service, p.fallback_upstream);
    for (const auto& s : p.fallback_servers) *out += fmt::format("        server {};\n", s);
    *out += "        keepalive 16;\n    }\n";
  }
  for (const auto& s : plan.services) {
    *out += fmt::format("\n    # Service {} port {}.\n    upstream {} {{\n", s.key.ToString(),
                        s.port, s.upstream);
    for (const auto& server : s.servers) *out += fmt::format("        server {};\n", server);
    *out += "        keepalive 16;\n    }\n";
  }
}

void NginxConfigWriter::WriteSplits(const RoutingPlan& plan, std::string* out) const {
  std::set<size_t> done;
  for (const auto& server : plan.servers) {
    for (const auto& loc : server.locations) {
      if (loc.choices.size() < 2 || !done.insert(loc.split_id).second) continue;
      std::vector<int64_t> weights;
      for (const auto& c : loc.choices) weights.push_back(c.second);
      const auto pct = Percentages(weights);
      const bool pools = loc.action == Location::Action::kPools;
      *out += fmt::format("\n    # {}: weighted {}.\n    split_clients \"${{request_id}}\" {} {{\n",
                          loc.origin, pools ? "InferencePools" : "Services", SplitVar(loc));
      for (size_t i = 0; i < loc.choices.size(); ++i) {
        const size_t idx = loc.choices[i].first;
        const std::string value = pools ? ChoiceKey(idx) : plan.services[idx].upstream;
        const std::string comment = pools ? "  # " + plan.pools[idx].key.ToString() : "";
        *out += fmt::format("        {:<8} {};{}\n", pct[i], value, comment);
      }
      *out += "    }\n";
      if (!pools) continue;
      struct Column {
        const char* suffix;
        std::string (*value)(const PoolTarget&);
      };
      static const Column kColumns[] = {
          {"host", [](const PoolTarget& p) { return p.epp_host; }},
          {"port", [](const PoolTarget& p) { return std::to_string(p.epp_port); }},
          {"failure_mode", [](const PoolTarget& p) { return p.failure_mode; }},
          {"fallback",
           [](const PoolTarget& p) {
             return p.fallback_upstream.empty() ? std::string("\"\"") : p.fallback_upstream;
           }},
      };
      for (const auto& col : kColumns) {
        *out += fmt::format("    map {} {}_{} {{\n", SplitVar(loc), SplitVar(loc), col.suffix);
        for (const auto& c : loc.choices) {
          *out += fmt::format("        {:<8} {};\n", ChoiceKey(c.first),
                              col.value(plan.pools[c.first]));
        }
        *out += "    }\n";
      }
    }
  }
}

void NginxConfigWriter::WriteLocationBody(const RoutingPlan& plan, const Location& loc,
                                          std::string* out) const {
  switch (loc.action) {
    case Location::Action::kNoBackend:
      *out +=
          "            # No backend with a weight above 0 (Gateway API: 500).\n"
          "            return 500;\n";
      return;
    case Location::Action::kPools:
      if (loc.choices.size() == 1) {
        const PoolTarget& p = plan.pools[loc.choices[0].first];
        *out += fmt::format(
            "            # InferencePool {}\n"
            "            set $epp_host {};\n"
            "            set $epp_port {};\n"
            "            set $epp_failure_mode {};\n",
            p.key.ToString(), p.epp_host, p.epp_port, p.failure_mode);
        if (!p.fallback_upstream.empty()) {
          *out += fmt::format("            set $epp_fallback {};\n", p.fallback_upstream);
        }
      } else {
        const std::string v = SplitVar(loc);
        *out += fmt::format(
            "            set $epp_host {0}_host;\n"
            "            set $epp_port {0}_port;\n"
            "            set $epp_failure_mode {0}_failure_mode;\n"
            "            set $epp_fallback {0}_fallback;\n",
            v);
      }
      *out += "            js_content epp.route;\n";
      return;
    case Location::Action::kServices:
      *out += fmt::format(
          "            proxy_pass http://{};\n",
          loc.choices.size() == 1 ? plan.services[loc.choices[0].first].upstream : SplitVar(loc));
      *out +=
          "            proxy_http_version 1.1;\n"
          "            proxy_set_header Connection \"\";\n"
          "            proxy_set_header Host $host;\n";
      return;
  }
}

void NginxConfigWriter::WriteServer(const RoutingPlan& plan, const Server& server,
                                    std::string* out) const {
  *out += fmt::format("\n    server {{\n        {}\n        server_name {};\n",
                      Listen(server.port, server.hostname.empty()),
                      server.hostname.empty() ? "_" : server.hostname);
  if (server.HasPools()) *out += "        include epp-server.conf;\n";
  bool has_root = false;
  std::set<std::string> exact;
  for (const auto& loc : server.locations) {
    if (loc.match.type == PathMatch::Type::kExact) exact.insert(loc.match.value);
    if (loc.match.type == PathMatch::Type::kPathPrefix && loc.match.value == "/") has_root = true;
  }
  for (const auto& loc : server.locations) {
    std::vector<std::string> heads;
    if (loc.match.type == PathMatch::Type::kExact) {
      heads.push_back("= " + LocationPath(loc.match.value));
    } else if (loc.match.value == "/") {
      heads.push_back("/");
    } else {
      // Gateway API prefixes match whole path segments: /v1 and /v1/..., not /v1x.
      if (!exact.count(loc.match.value)) heads.push_back("= " + LocationPath(loc.match.value));
      heads.push_back(LocationPath(loc.match.value + "/"));
    }
    for (const auto& head : heads) {
      *out += fmt::format("\n        # {}\n        location {} {{\n", loc.origin, head);
      WriteLocationBody(plan, loc, out);
      *out += "        }\n";
    }
  }
  if (!has_root) {
    *out += "\n        location / {\n            return 404;\n        }\n";
  }
  *out += "    }\n";
}

std::string NginxConfigWriter::WriteCompletionConf() const {
  std::string out = fmt::format(
      "# Generated by `epp-bridge render`: the access log of EPP-routed requests and,\n"
      "# with a completion socket, their completion records for the bridge.\n"
      "access_log {} epp;\n",
      options_.access_log);
  if (completion_socket_.empty()) {
    out += "# (no completion socket)\n";
  } else {
    out += fmt::format("access_log syslog:server=unix:{},nohostname,tag=epp {} if=$epp_endpoint;\n",
                       completion_socket_, options_.completion_log_format);
  }
  return out;
}

std::string NginxConfigWriter::Write(RoutingPlan plan) const {
  size_t next_split = 0;
  for (auto& server : plan.servers) {
    for (auto& loc : server.locations) {
      if (loc.choices.size() < 2) continue;
      // One split per rule: the locations of one rule share it.
      for (const auto& other_server : plan.servers) {
        for (const auto& other : other_server.locations) {
          if (&other != &loc && other.origin == loc.origin && other.split_id != 0) {
            loc.split_id = other.split_id;
          }
        }
      }
      if (loc.split_id == 0) loc.split_id = ++next_split;
    }
  }
  const bool ai = plan.HasInferenceRoutes();
  std::string out = fmt::format(
      "# Generated by `epp-bridge render` for Gateway {}.\n"
      "# HTTPRoutes: {}. Render again instead of editing.\n",
      plan.gateway.ToString(),
      plan.attached_routes.empty() ? "none"
                                   : fmt::format("{}", fmt::join(plan.attached_routes, ", ")));
  if (ai) out += fmt::format("load_module {};\n", kJsModule);
  out += fmt::format(
      "\nworker_processes {};\npid nginx.pid;\nerror_log {} notice;\n\n"
      "events {{\n    worker_connections 1024;\n}}\n\nhttp {{\n",
      options_.worker_processes, options_.error_log);
  if (ai) {
    out += fmt::format(
        "    js_path {};\n"
        "    include epp-http.conf;\n\n"
        "    log_format epp '$remote_addr \"$request\" $status $body_bytes_sent '\n"
        "                   'id=$epp_request_id epp=$epp_endpoints served=$upstream_addr '\n"
        "                   'rt=$request_time';\n",
        options_.njs_dir);
  } else {
    out +=
        "    log_format epp '$remote_addr \"$request\" $status $body_bytes_sent '\n"
        "                   'served=$upstream_addr rt=$request_time';\n";
  }
  out += fmt::format(
      "    access_log {} epp;\n\n"
      "    # Temporary files under the prefix (-p); bodies over the buffer spill to disk.\n"
      "    client_body_temp_path client_body_temp;\n"
      "    proxy_temp_path proxy_temp;\n"
      "    fastcgi_temp_path fastcgi_temp;\n"
      "    uwsgi_temp_path uwsgi_temp;\n"
      "    scgi_temp_path scgi_temp;\n"
      "    client_body_buffer_size 128k;\n"
      "    client_max_body_size {};\n"
      "    keepalive_timeout 65s;\n"
      "    server_tokens off;\n",
      options_.access_log, options_.max_body);
  if (ai) {
    out += fmt::format(
        "\n    # The bridge, in this Pod.\n"
        "    upstream epp_bridge {{\n        server {};\n        keepalive 32;\n    }}\n",
        options_.bridge_address);
  }
  WriteUpstreams(plan, &out);
  WriteSplits(plan, &out);
  for (const auto& server : plan.servers) WriteServer(plan, server, &out);
  if (options_.health_port != 0) {
    out += fmt::format(
        "\n    # Liveness and readiness of NGINX itself.\n"
        "    server {{\n        {}\n        access_log off;\n"
        "        location = /healthz {{\n            return 200 \"ok\\n\";\n        }}\n"
        "        location / {{\n            return 404;\n        }}\n    }}\n",
        Listen(options_.health_port, false));
  }
  out += "}\n";
  return out;
}

}  // namespace eppb::render
