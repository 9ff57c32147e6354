#include "serve/serve_command.h"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "cli/flags.h"
#include "cli/tls_flags.h"
#include "observe/logging.h"
#include "serve/bridge_server.h"

namespace eppb {

namespace asio = boost::asio;

CLI::App* AddServeCommand(CLI::App* app, ServeOptions* o) {
  auto* cmd =
      app->add_subcommand("serve", "Run the sidecar: HTTP from NGINX → ext_proc to the EPP");
  // NGF's provisioner runs `gateway endpoint-picker [--endpoint-picker-disable-tls]
  // [--endpoint-picker-tls-skip-verify]`; both flags are ours too (docs/ngf.md).
  cmd->alias("endpoint-picker");
  const std::string http = "HTTP side (NGINX → bridge)";
  const std::string epp = "EPP exchange";
  const std::string proc = "Process";
  AddOpt(cmd, "--listen", o->listen, "ADDR:PORT to serve NGINX on", http);
  AddFlag(cmd, "--allow-non-loopback", o->allow_non_loopback,
          "Permit a --listen address outside 127.0.0.0/8 and ::1", http);
  AddOpt(cmd, "--max-body-bytes", o->max_body_bytes, "Largest request body (413 above)", http);
  AddOpt(cmd, "--max-header-bytes", o->max_header_bytes, "Largest header block (431 above)", http);
  AddOpt(cmd, "--max-headers", o->max_headers, "Most request headers (431 above)", http);
  AddOpt(cmd, "--idle-timeout-ms", o->idle_timeout_ms, "Close idle keep-alive connections after",
         http);
  AddOpt(cmd, "--max-inflight", o->max_inflight, "Concurrent exchanges (503 above)", http);
  AddOpt(cmd, "--allowed-epp", o->allowed_epps,
         "EPP targets that may be called, host:port or host (any port); repeat or comma-separate; "
         "empty allows any (403 outside)",
         epp)
      ->delimiter(',');
  AddOpt(cmd, "--allowed-endpoint-cidr", o->allowed_endpoint_cidrs,
         "Networks the EPP's chosen endpoints must be in, e.g. 10.0.0.0/8 or fd00::/8; repeat or "
         "comma-separate; empty allows any (a decision outside is an error)",
         epp)
      ->delimiter(',');
  AddOpt(cmd, "--deadline-ms", o->deadline_ms,
         "Deadline for one exchange, first message to decision (504 after)", epp);
  AddOpt(cmd, "--linger-ms", o->linger_ms,
         "After the decision, how long the EPP may take to end the stream", epp);
  AddOpt(cmd, "--chunk-bytes", o->chunk_bytes, "Request body chunk size sent to the EPP", epp);
  AddOpt(cmd, "--epp-transport", o->epp_transport,
         "EPP client: h2 (HTTP/2 on nghttp2, each worker with its own connections) or grpc "
         "(gRPC C++)",
         epp)
      ->check(CLI::IsMember({"h2", "grpc"}));
  AddOpt(cmd, "--max-epp-targets", o->max_epp_targets,
         "Distinct EPP targets (channels) kept; when full, the least recently used one with no "
         "stream open is closed for a new one",
         epp);
  const std::string answer = "EPP answer bounds";
  AddOpt(cmd, "--max-answer-endpoints", o->max_answer_endpoints,
         "Most endpoints in an EPP decision, its fallback list (502 epp-answer-too-large above)",
         answer);
  AddOpt(cmd, "--max-answer-set-headers", o->max_answer_set_headers,
         "Most distinct headers an EPP decision sets, or an immediate response carries (502 "
         "epp-answer-too-large above)",
         answer);
  AddOpt(cmd, "--max-answer-removals", o->max_answer_removals,
         "Most distinct request headers an EPP decision removes (502 epp-answer-too-large above)",
         answer);
  AddOpt(cmd, "--max-answer-head-bytes", o->max_answer_head_bytes,
         "Largest answer head (status line and headers) sent to NGINX, 4096-65536 (502 "
         "epp-answer-too-large above); keep proxy_buffer_size of /_epp_bridge above it",
         answer);
  AddOpt(cmd, "--max-buffered-body-bytes", o->max_buffered_body_bytes,
         "EPP body replies (rewritten bodies) buffered by all exchanges at once (503 "
         "epp-body-budget above); one reply is also bounded by max(2 x request body, request "
         "body + 1 MiB) and --max-body-bytes (502 body-too-large)",
         answer);
  AddOpt(cmd, "--epp-health-interval-ms", o->epp_health_interval_ms,
         "How often to ask each EPP's grpc.health.v1 service; NOT_SERVING fails new requests "
         "at once with 503 (0: never ask)",
         epp);
  AddOpt(cmd, "--epp-health-unhealthy-interval-ms", o->epp_health_unhealthy_interval_ms,
         "How often to ask while the last answer was NOT_SERVING or none came, so a recovered "
         "EPP is used again soon (0: --epp-health-interval-ms)",
         epp);
  AddOpt(cmd, "--epp-health-service", o->epp_health_service,
         "Service name sent in those health checks", epp);
  AddOpt(cmd, "--epp-keepalive-ms", o->epp_keepalive_ms,
         "While streams are open on an EPP connection, a PING this often; a gRPC server may end a "
         "connection that pings more often than every 5 minutes while it sends nothing (gRPC "
         "C++'s default), and the streams held on it",
         epp);
  AddOpt(cmd, "--epp-keepalive-timeout-ms", o->epp_keepalive_timeout_ms,
         "A PING not answered within this ends the connection and its streams (UNAVAILABLE); "
         "over h2, a stream that ends by deadline or cancel on a connection silent this long "
         "sends one at once",
         epp);
  AddOpt(cmd, "--epp-connect-timeout-ms", o->epp_connect_timeout_ms,
         "Longest a connection to an EPP may take to be ready (TCP, TLS, HTTP/2 settings)", epp);
  const std::string resp = "Response phase (held streams)";
  AddOpt(cmd, "--completion-socket", o->completion_socket,
         "Unix datagram socket (absolute path, mode 0660) for NGINX's completion records; when "
         "set, each picked stream that carries X-EPP-Completion-Key is held open until its "
         "response completes (empty: close right after the pick)",
         resp);
  AddOpt(cmd, "--completion-socket-group", o->completion_socket_group,
         "Group (name or gid) that owns the completion socket: NGINX's workers must be in it "
         "(empty: the bridge's own group)",
         resp);
  AddOpt(cmd, "--hold-ttl-ms", o->hold_ttl_ms,
         "Longest a stream is held waiting for its completion record", resp);
  AddOpt(cmd, "--max-held-streams", o->max_held_streams,
         "Held streams kept at once, shared out evenly among the worker loops; above its share, "
         "a loop closes its oldest",
         resp);
  AddTlsFlags(cmd, &o->tls);
  AddOpt(
      cmd, "--threads", o->threads,
      "Worker threads, each running its own event loop (0: one per two CPUs the process may use, "
      "rounded up; those CPUs are its affinity mask, at most its CPU quota, e.g. a Pod's CPU "
      "limit, rounded up)",
      proc);
  AddOpt(cmd, "--grace-ms", o->grace_ms, "On SIGTERM, how long in-flight exchanges may finish",
         proc);
  AddOpt(cmd, "--log-level", o->log_level, "trace, debug, info, warn, error", proc);
  AddOpt(cmd, "--log-format", o->log_format, "text, or json (one object per line)", proc)
      ->check(CLI::IsMember({"text", "json"}));
  AddOpt(cmd, "--admin-listen", o->admin_listen,
         "ADDR:PORT for /metrics, /healthz and /readyz (empty: off)", proc);
  return cmd;
}

int RunServe(ServeOptions o) {
  std::string error;
  if (!SetupLogging(o.log_level, &error, o.log_format)) {
    spdlog::critical("{}", error);
    return 2;
  }
  int code = 0;
  auto server = BridgeServer::Create(o, &error, &code);
  if (!server) {
    spdlog::critical("{}", error);
    return code;
  }
  const auto& opts = server->options();
  spdlog::info("epp-bridge serve listening on {}:{} (threads={}, epp tls={}, deadline={}ms)",
               opts.listen.substr(0, opts.listen.rfind(':')), server->port(), server->threads(),
               opts.tls.disable_tls ? "off" : (opts.tls.skip_verify ? "skip-verify" : "verify"),
               opts.deadline_ms);
  if (server->admin_port() > 0) {
    spdlog::info("admin listening on {}:{} (/metrics /healthz /readyz)",
                 opts.admin_listen.substr(0, opts.admin_listen.rfind(':')), server->admin_port());
  }
  // SIGTERM/SIGINT: stop accepting, let in-flight exchanges finish within the
  // grace period, then exit 0.
  asio::signal_set signals(server->first_loop(), SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: draining {} in-flight exchanges (grace {} ms)", sig,
                 server->context().inflight.load(), opts.grace_ms);
    server->Drain();
  });
  server->Start();
  server->Wait();
  spdlog::info("epp-bridge serve stopped");
  return 0;
}

}  // namespace eppb
