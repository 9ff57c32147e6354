#include "devepp/dev_epp_command.h"

#include <spdlog/spdlog.h>

#include <csignal>

#include "cli/flags.h"
#include "cli/listen_address.h"
#include "devepp/dev_epp_server.h"
#include "observe/logging.h"

namespace eppb {

CLI::App* AddDevEppCommand(CLI::App* app, DevEppFlags* f) {
  auto* cmd = app->add_subcommand("dev-epp", "Run the development Endpoint Picker (ext_proc)");
  const std::string g = "Development EPP";
  AddOpt(cmd, "--listen", f->listen, "ADDR:PORT for ext_proc and grpc.health.v1", g);
  AddOpt(cmd, "--endpoints", f->endpoints, "Model servers, ip:port,ip:port,...", g)->required();
  AddOpt(cmd, "--policy", f->policy, "round-robin or least-in-flight", g)
      ->check(CLI::IsMember({"round-robin", "least-in-flight"}));
  AddOpt(cmd, "--rewrite-model", f->rewrite_model,
         "old=new: rewrite the body's model name, like a model-rewrite rule", g);
  AddFlag(cmd, "--tls", f->tls, "Serve TLS with a generated self-signed certificate", g);
  AddOpt(cmd, "--tls-cert", f->tls_cert, "PEM certificate to serve instead (with --tls)", g);
  AddOpt(cmd, "--tls-key", f->tls_key, "PEM key to serve instead (with --tls)", g);
  AddOpt(cmd, "--tls-client-ca", f->tls_client_ca,
         "Require client certificates signed by this PEM CA (mTLS, with --tls)", g);
  AddFlag(cmd, "--fallbacks", f->fallbacks, "List the other endpoints after the pick", g);
  AddOpt(cmd, "--reply-chunk-bytes", f->reply_chunk_bytes, "Streamed body reply chunk size", g);
  AddOpt(cmd, "--health", f->health,
         "grpc.health.v1 answer: serving, not-serving, or off (no health service)", g)
      ->check(CLI::IsMember({"serving", "not-serving", "off"}));
  AddOpt(cmd, "--log-level", f->log_level, "trace, debug, info, warn, error", g);
  return cmd;
}

int RunDevEpp(const DevEppFlags& f) {
  std::string error;
  if (!SetupLogging(f.log_level, &error)) {
    spdlog::critical("{}", error);
    return 2;
  }
  DevEppOptions o;
  if (!ParseListenAddress(f.listen, &error)) {
    spdlog::critical("--listen: {}", error);
    return 2;
  }
  o.listen = f.listen;
  if (!ParseEndpointList(f.endpoints, &o.endpoints, &error)) {
    spdlog::critical("--endpoints: {}", error);
    return 2;
  }
  o.policy = f.policy == "least-in-flight" ? PickPolicy::kLeastInFlight : PickPolicy::kRoundRobin;
  if (!f.rewrite_model.empty()) {
    auto eq = f.rewrite_model.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == f.rewrite_model.size()) {
      spdlog::critical("--rewrite-model must be old=new");
      return 2;
    }
    o.rewrite_from = f.rewrite_model.substr(0, eq);
    o.rewrite_to = f.rewrite_model.substr(eq + 1);
  }
  if (f.tls_cert.empty() != f.tls_key.empty() || (!f.tls_cert.empty() && !f.tls)) {
    spdlog::critical("--tls-cert and --tls-key go together, with --tls");
    return 2;
  }
  if (f.reply_chunk_bytes < 1) {
    spdlog::critical("--reply-chunk-bytes must be positive");
    return 2;
  }
  o.tls = f.tls;
  o.tls_cert_file = f.tls_cert;
  o.tls_key_file = f.tls_key;
  o.tls_client_ca_file = f.tls_client_ca;
  o.fallbacks = f.fallbacks;
  o.reply_chunk_bytes = f.reply_chunk_bytes;
  o.health = f.health;

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before gRPC starts its threads

  auto server = DevEppServer::Start(o, &error);
  if (!server) {
    spdlog::critical("dev-epp: {}", error);
    return 1;
  }
  auto host = f.listen.substr(0, f.listen.rfind(':'));
  spdlog::info("dev-epp listening on {}:{} ({}, {} endpoints, policy {})", host, server->port(),
               o.tls ? "tls" : "plaintext", o.endpoints.size(), f.policy);
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("dev-epp: signal {}, stopping", sig);
  server->Shutdown();
  return 0;
}

}  // namespace eppb
