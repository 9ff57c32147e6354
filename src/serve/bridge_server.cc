#include "serve/bridge_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "cli/group_id.h"
#include "cli/listen_address.h"
#include "cli/tls_flags.h"
#include "h2/make_ext_proc_client.h"
#include "net/worker_count.h"
#include "observe/entry_guard.h"
#include "observe/logging.h"
#include "observe/metrics.h"

namespace eppb {

namespace asio = boost::asio;

namespace {

// Validates options into the runtime context; false with *error on a fatal problem.
bool Configure(const ServeOptions& o, ServerContext* ctx, std::string* error) {
  if (o.deadline_ms <= 0 || o.linger_ms < 0 || o.grace_ms < 0 || o.idle_timeout_ms <= 0) {
    *error =
        "--deadline-ms and --idle-timeout-ms must be positive, --linger-ms and --grace-ms "
        "not negative";
    return false;
  }
  if (o.hold_ttl_ms <= 0 || o.max_held_streams < 1) {
    *error = "--hold-ttl-ms and --max-held-streams must be positive";
    return false;
  }
  ctx->exchange.hold_ttl = std::chrono::milliseconds(o.hold_ttl_ms);
  if (!o.completion_socket.empty() && o.completion_socket.front() != '/') {
    *error = "--completion-socket must be an absolute path";
    return false;
  }
  if (o.completion_socket.empty() && !o.completion_socket_group.empty()) {
    *error = "--completion-socket-group needs --completion-socket";
    return false;
  }
  if (o.chunk_bytes < 1 || o.chunk_bytes > ExchangeConfig::kMaxChunkBytes) {
    *error = "--chunk-bytes must be from 1 to " + std::to_string(ExchangeConfig::kMaxChunkBytes) +
             " (the EPP accepts gRPC messages up to 4 MiB)";
    return false;
  }
  if (o.max_body_bytes < 1 || o.max_headers < 1 || o.max_header_bytes < 1024 ||
      o.max_inflight < 1) {
    *error =
        "--max-body-bytes, --max-headers, --max-inflight must be positive and "
        "--max-header-bytes at least 1024";
    return false;
  }
  const auto count_ok = [](size_t n, size_t min) {
    return n >= min && n <= AnswerBounds::kMaxCount;
  };
  if (!count_ok(o.max_answer_endpoints, 1) || !count_ok(o.max_answer_set_headers, 0) ||
      !count_ok(o.max_answer_removals, 0)) {
    *error =
        "--max-answer-endpoints must be from 1, --max-answer-set-headers and "
        "--max-answer-removals from 0, to " +
        std::to_string(AnswerBounds::kMaxCount);
    return false;
  }
  if (o.max_answer_head_bytes < AnswerBounds::kMinHeadBytes ||
      o.max_answer_head_bytes > AnswerBounds::kMaxHeadBytes) {
    *error = "--max-answer-head-bytes must be from " + std::to_string(AnswerBounds::kMinHeadBytes) +
             " to " + std::to_string(AnswerBounds::kMaxHeadBytes);
    return false;
  }
  if (o.max_buffered_body_bytes < 1) {
    *error = "--max-buffered-body-bytes must be positive";
    return false;
  }
  ctx->exchange.answer.max_endpoints = o.max_answer_endpoints;
  ctx->exchange.answer.max_set_headers = o.max_answer_set_headers;
  ctx->exchange.answer.max_removals = o.max_answer_removals;
  ctx->exchange.answer.max_head_bytes = o.max_answer_head_bytes;
  ctx->exchange.body_budget = std::make_shared<EppBodyBudget>(o.max_buffered_body_bytes);
  for (const auto& a : o.allowed_epps) {
    std::string e;
    auto t = EppTarget::ParseHostPort(a, &e);
    if (!t) {  // a host alone allows any port
      t = EppTarget::Parse(a, "1", &e);
      if (t) t->port = 0;
    }
    if (!t) {
      *error = "--allowed-epp '" + a + "': expected host:port or host";
      return false;
    }
    ctx->limits.allowed_epps.push_back(*t);
  }
  for (const auto& c : o.allowed_endpoint_cidrs) {
    std::string e;
    if (!ctx->exchange.endpoints.AddCidr(c, &e)) {
      *error = "--allowed-endpoint-cidr " + e;
      return false;
    }
  }
  ctx->limits.max_body_bytes = o.max_body_bytes;
  ctx->limits.max_header_bytes = o.max_header_bytes;
  ctx->limits.max_headers = o.max_headers;
  ctx->limits.idle_timeout = std::chrono::milliseconds(o.idle_timeout_ms);
  ctx->exchange.deadline = std::chrono::milliseconds(o.deadline_ms);
  ctx->exchange.linger = std::chrono::milliseconds(o.linger_ms);
  ctx->exchange.upload = ctx->limits.read_timeout;
  ctx->exchange.chunk_bytes = o.chunk_bytes;
  ctx->exchange.max_body_bytes = o.max_body_bytes;
  ctx->max_inflight = o.max_inflight;
  return true;
}

}  // namespace

BridgeServer::BridgeServer(ServeOptions options)
    : loops_(options.threads ? options.threads : DefaultWorkerCount()),
      options_(std::move(options)),
      drain_timer_(loops_.at(0)) {}

// The one place the server dies. Drain() has normally run: held streams were
// released and every stream cancelled before the workers stopped. Streams
// that have still not ended (an EPP that never answers a cancel cannot stop
// gRPC from ending them, so this is a bounded wait, not a loop) only post
// onto the loops, which are destroyed last.
BridgeServer::~BridgeServer() {
  loops_.Stop();
  Wait();
  if (client_ && !client_->CancelAllAndWait(kStreamEndWait)) {
    LogEvent(spdlog::level::warn, "streams-left-at-exit",
             {{"streams", std::to_string(client_->live_streams())},
              {"waited_ms", std::to_string(kStreamEndWait.count())}});
  }
  client_.reset();
  registry_.reset();
}

std::unique_ptr<BridgeServer> BridgeServer::Create(ServeOptions o, std::string* error,
                                                   int* exit_code) {
  *exit_code = 2;
  auto listen = ParseListenAddress(o.listen, error);
  if (!listen) {
    *error = "--listen: " + *error;
    return nullptr;
  }
  if (!listen->address().is_loopback()) {
    if (!o.allow_non_loopback) {
      *error = "--listen " + o.listen +
               " is not a loopback address; the bridge has no authentication, so binding "
               "elsewhere needs --allow-non-loopback";
      return nullptr;
    }
    spdlog::warn(
        "LISTENING ON A NON-LOOPBACK ADDRESS {}: anyone who can reach it can make the "
        "bridge call EPPs; restrict it with --allowed-epp and network policy",
        o.listen);
  }
  if (!ValidateTls(&o.tls, error)) return nullptr;
  std::unique_ptr<BridgeServer> s(new BridgeServer(o));
  if (!Configure(s->options_, &s->ctx_, error)) return nullptr;
  s->ctx_.metrics->WatchBodyBudget(s->ctx_.exchange.body_budget);
  ChannelOptions copts;
  copts.max_targets = o.max_epp_targets;
  if (o.epp_health_interval_ms < 0 || o.epp_health_unhealthy_interval_ms < 0) {
    *error =
        "--epp-health-interval-ms and --epp-health-unhealthy-interval-ms must be 0 (off) or "
        "positive";
    return nullptr;
  }
  copts.health.interval = std::chrono::milliseconds(o.epp_health_interval_ms);
  copts.health.unhealthy_interval = std::chrono::milliseconds(o.epp_health_unhealthy_interval_ms);
  copts.health.timeout = std::min(copts.health.interval, std::chrono::milliseconds(1000));
  copts.health.service = o.epp_health_service;
  if (o.epp_keepalive_ms <= 0 || o.epp_keepalive_timeout_ms <= 0 || o.epp_connect_timeout_ms <= 0) {
    *error =
        "--epp-keepalive-ms, --epp-keepalive-timeout-ms and --epp-connect-timeout-ms must be "
        "positive";
    return nullptr;
  }
  copts.keepalive_ms = o.epp_keepalive_ms;
  copts.keepalive_timeout_ms = o.epp_keepalive_timeout_ms;
  copts.connect_timeout_ms = o.epp_connect_timeout_ms;
  copts.max_receive_bytes =
      static_cast<int>(std::min<size_t>(o.max_body_bytes + (1u << 20), size_t{1} << 30));
  // gRPC C++ (its channels, its threads and the channel monitor's) only
  // for the gRPC transport: over HTTP/2 the workers run everything.
  if (o.epp_transport == "grpc") {
    s->registry_ = ChannelRegistry::Create(s->options_.tls, copts, error);
    if (!s->registry_) {
      *error = "EPP TLS setup: " + *error;
      return nullptr;
    }
  }
  H2ClientOptions h2;
  h2.max_targets = o.max_epp_targets;
  h2.max_receive_bytes = static_cast<size_t>(copts.max_receive_bytes);
  h2.health = copts.health;
  h2.keepalive = std::chrono::milliseconds(o.epp_keepalive_ms);
  h2.keepalive_timeout = std::chrono::milliseconds(o.epp_keepalive_timeout_ms);
  h2.connect_timeout = std::chrono::milliseconds(o.epp_connect_timeout_ms);
  s->client_ =
      MakeExtProcClient(o.epp_transport, s->registry_.get(), s->loops_, s->options_.tls, h2, error);
  if (!s->client_) {
    *error = "EPP TLS setup: " + *error;
    return nullptr;
  }
  s->ctx_.client = s->client_.get();
  s->listener_ = std::make_shared<Listener>(s->loops_, &s->ctx_);
  if (!s->listener_->Listen(*listen, error)) {
    *exit_code = 1;
    return nullptr;
  }
  if (!o.completion_socket.empty()) {
    std::optional<gid_t> group;
    if (!o.completion_socket_group.empty()) {
      group = ResolveGroup(o.completion_socket_group, error);
      if (!group) {
        *error = "--completion-socket-group: " + *error;
        return nullptr;
      }
    }
    s->holds_ = std::make_unique<HeldStreams>(s->loops_, o.max_held_streams, *s->ctx_.metrics);
    s->ctx_.holds = s->holds_.get();
    s->completions_ = std::make_shared<CompletionListener>(s->holds_->first());
    if (!s->completions_->Bind(o.completion_socket, group, error)) return nullptr;
  }
  if (!o.admin_listen.empty()) {
    auto admin_at = ParseListenAddress(o.admin_listen, error);
    if (!admin_at) {
      *error = "--admin-listen: " + *error;
      return nullptr;
    }
    auto* raw = s.get();
    s->admin_ = std::make_shared<AdminServer>(s->loops_.at(0), [raw](std::string* why) {
      if (raw->ctx_.draining) {
        *why = "draining";
        return false;
      }
      return true;
    });
    if (!s->admin_->Listen(*admin_at, error)) {
      *exit_code = 1;
      return nullptr;
    }
  }
  return s;
}

int BridgeServer::port() const { return listener_->local_endpoint().port(); }

int BridgeServer::admin_port() const { return admin_ ? admin_->port() : 0; }

void BridgeServer::Start() {
  listener_->Run();
  if (admin_) admin_->Run();
  if (completions_) completions_->Run();
  for (unsigned i = 0; i < loops_.size(); ++i) pool_.emplace_back([this, i] { RunWorker(i); });
}

void BridgeServer::Drain() {
  asio::post(loops_.at(0), [this] {
    if (ctx_.draining.exchange(true)) return;
    listener_->Stop();
    grace_end_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.grace_ms);
    PollDrain();
  });
}

// Every handler guards itself (observe/entry_guard.h); this catches what
// escapes from inside a library's own handler, so one bad request never ends
// the process.
void BridgeServer::RunWorker(unsigned i) {
  while (true) {
    try {
      loops_.Run(i);
      return;
    } catch (const std::exception& e) {
      ReportEscapedException("worker", e.what());
    } catch (...) {
      ReportEscapedException("worker", "unknown exception");
    }
  }
}

// Drain, in three steps, all bounded by the grace period: (1) in-flight
// exchanges finish; (2) held streams are released (the EPP gets the
// half-close) and streams may end on their own; (3) whatever is left is
// cancelled and the workers stop.
void BridgeServer::PollDrain() {
  auto now = std::chrono::steady_clock::now();
  size_t inflight = ctx_.inflight.load();
  if (!released_ && (inflight == 0 || now >= grace_end_)) {
    if (inflight > 0) {
      LogEvent(spdlog::level::warn, "grace-over", {{"inflight", std::to_string(inflight)}});
    }
    released_ = true;
    if (holds_) holds_->ReleaseAll("shutdown");
  }
  if (released_ && (client_->live_streams() == 0 || now >= grace_end_)) {
    client_->CancelAll();
    loops_.Stop();
    return;
  }
  drain_timer_.expires_after(std::chrono::milliseconds(20));
  drain_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) PollDrain();
  });
}

void BridgeServer::Wait() {
  for (auto& t : pool_) {
    if (t.joinable()) t.join();
  }
  pool_.clear();
}

}  // namespace eppb
