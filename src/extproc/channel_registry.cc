#include "extproc/channel_registry.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <fstream>
#include <sstream>

#include "observe/logging.h"
#include "observe/metrics.h"

namespace eppb {
namespace {

bool ReadFile(const std::string& path, std::string* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + path;
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  if (out->empty()) {
    *error = path + " is empty";
    return false;
  }
  return true;
}

// The verifier and the certificate provider must outlive every channel built
// from these credentials, so the registry keeps them (`keep`).
std::shared_ptr<grpc::ChannelCredentials> SkipVerifyCredentials(
    const std::string& cert, const std::string& key, std::vector<std::shared_ptr<void>>* keep) {
  grpc::experimental::TlsChannelCredentialsOptions opts;
  opts.set_verify_server_certs(false);
  opts.set_check_call_host(false);
  auto verifier = std::make_shared<grpc::experimental::NoOpCertificateVerifier>();
  keep->push_back(verifier);
  opts.set_certificate_verifier(verifier);
  if (!cert.empty()) {
    grpc::experimental::IdentityKeyCertPair pair{key, cert};
    auto provider = std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
        std::vector<grpc::experimental::IdentityKeyCertPair>{pair});
    keep->push_back(provider);
    opts.set_certificate_provider(provider);
    opts.watch_identity_key_cert_pairs();
  }
  return grpc::experimental::TlsCredentials(opts);
}

}  // namespace

std::unique_ptr<ChannelRegistry> ChannelRegistry::Create(const TlsConfig& tls,
                                                         ChannelOptions options,
                                                         std::string* error) {
  std::string cert, key, ca;
  if (!tls.cert_file.empty() != !tls.key_file.empty()) {
    *error = "a client certificate needs both a certificate file and a key file";
    return nullptr;
  }
  if (!tls.cert_file.empty() &&
      (!ReadFile(tls.cert_file, &cert, error) || !ReadFile(tls.key_file, &key, error))) {
    return nullptr;
  }
  if (!tls.ca_file.empty() && !ReadFile(tls.ca_file, &ca, error)) return nullptr;

  std::shared_ptr<grpc::ChannelCredentials> creds;
  std::vector<std::shared_ptr<void>> keep;
  if (tls.disable_tls) {
    creds = grpc::InsecureChannelCredentials();
  } else if (tls.skip_verify && ca.empty()) {
    creds = SkipVerifyCredentials(cert, key, &keep);
  } else {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ca;  // empty: the system roots
    ssl.pem_private_key = key;
    ssl.pem_cert_chain = cert;
    creds = grpc::SslCredentials(ssl);
  }
  if (!creds) {
    *error = "could not build TLS credentials";
    return nullptr;
  }
  std::unique_ptr<ChannelRegistry> registry(
      new ChannelRegistry(std::move(creds), tls.disable_tls ? "" : tls.server_name, options));
  registry->keep_alive_ = std::move(keep);
  return registry;
}

ChannelRegistry::ChannelRegistry(std::shared_ptr<grpc::ChannelCredentials> creds,
                                 std::string server_name, ChannelOptions options)
    : monitor_(options.health),
      creds_(std::move(creds)),
      server_name_(std::move(server_name)),
      options_(options) {}

std::shared_ptr<ChannelRegistry::Entry> ChannelRegistry::Get(const EppTarget& target) {
  std::string key = target.Key();
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    it->second.last_used = ++use_clock_;
    return it->second.entry;
  }
  if (entries_.size() >= options_.max_targets && !EvictIdleLocked()) return nullptr;

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options_.max_receive_bytes);
  args.SetMaxSendMessageSize(-1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, options_.initial_backoff_ms);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, options_.max_backoff_ms);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, options_.keepalive_ms);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, options_.keepalive_timeout_ms);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, options_.connect_timeout_ms);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  // A private subchannel pool keeps this channel's connection its own.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  if (!server_name_.empty()) args.SetSslTargetNameOverride(server_name_);

  auto entry = std::make_shared<Entry>();
  entry->channel = grpc::CreateCustomChannel(target.GrpcUri(), creds_, args);
  entry->channel->GetState(true);  // connect now, not on the first request
  entry->stub = envoy::service::ext_proc::v3::ExternalProcessor::NewStub(entry->channel);
  entry->health = std::make_shared<std::atomic<EppHealth>>(EppHealth::kUnknown);
  monitor_.Watch(key, entry->channel, entry->health);
  entries_.emplace(std::move(key), Slot{entry, ++use_clock_});
  return entry;
}

bool ChannelRegistry::EvictIdleLocked() {
  // Under mu_ no new holder can appear (Get is the only source), so an entry
  // held by the registry alone stays unheld until it is gone.
  auto victim = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.entry.use_count() != 1) continue;
    if (victim == entries_.end() || it->second.last_used < victim->second.last_used) victim = it;
  }
  if (victim == entries_.end()) return false;
  LogEventLimited(spdlog::level::info, "epp-target-evicted", {{"epp", victim->first}});
  monitor_.Unwatch(victim->second.entry->channel.get());
  Metrics::Get().CountEppTargetEviction();
  entries_.erase(victim);
  return true;
}

size_t ChannelRegistry::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace eppb
