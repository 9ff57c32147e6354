#include "devepp/dev_epp_server.h"

#include <grpcpp/health_check_service_interface.h>

#include <fstream>
#include <sstream>

#include "common/defaults.h"
#include "common/happens_before.h"
#include "devepp/certificate.h"

namespace eppb {
namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return !out->empty();
}

constexpr const char* kHealthNames[] = {"", "liveness", "readiness", kExtProcService};

}  // namespace

std::unique_ptr<DevEppServer> DevEppServer::Start(const DevEppOptions& options,
                                                  std::string* error) {
  auto s = std::unique_ptr<DevEppServer>(new DevEppServer());
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (options.tls) {
    grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
    if (!options.tls_cert_file.empty()) {
      if (!ReadFile(options.tls_cert_file, &pair.cert_chain) ||
          !ReadFile(options.tls_key_file, &pair.private_key)) {
        *error = "cannot read --tls-cert/--tls-key";
        return nullptr;
      }
    } else {
      auto pem = GenerateCertificate(CertificateSpec{});  // like real EPPs: no SANs
      if (!pem) {
        *error = "cannot generate a self-signed certificate";
        return nullptr;
      }
      pair.cert_chain = pem->cert;
      pair.private_key = pem->key;
    }
    s->cert_pem_ = pair.cert_chain;
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back(pair);
    if (!options.tls_client_ca_file.empty()) {
      if (!ReadFile(options.tls_client_ca_file, &ssl.pem_root_certs)) {
        *error = "cannot read --tls-client-ca";
        return nullptr;
      }
      ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    creds = grpc::SslServerCredentials(ssl);
  }
  grpc::EnableDefaultHealthCheckService(options.health != "off");
  s->service_ = std::make_unique<DevEppService>(options);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, creds, &s->port_);
  builder.RegisterService(s->service_.get());
  builder.SetMaxReceiveMessageSize(4 << 20);  // the real EPP's limit
  HappensBefore(s->service_.get());           // the service's set-up, before any stream uses it
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || s->port_ == 0) {
    *error = "cannot listen on " + options.listen;
    return nullptr;
  }
  s->SetServing(options.health == "serving");
  return s;
}

// The one place the server dies: the gRPC server first (Wait returns once
// every stream's OnDone has run), then the service the streams used.
DevEppServer::~DevEppServer() {
  Shutdown();
  if (server_) server_->Wait();
  server_.reset();
  HappensAfter(service_.get());
}

void DevEppServer::SetServing(bool serving) {
  if (auto* health = server_->GetHealthCheckService()) {
    for (const char* name : kHealthNames) health->SetServingStatus(name, serving);
  }
}

void DevEppServer::Shutdown() {
  if (!server_) return;
  service_->EndKeptStreams();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

void DevEppServer::Wait() { server_->Wait(); }

}  // namespace eppb
