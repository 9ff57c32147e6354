// The development EPP as a running gRPC server: ext_proc plus
// grpc.health.v1 (services "", "liveness", "readiness" and the ext_proc
// service name), plaintext or TLS. Used by `epp-bridge dev-epp`, the demo and
// the in-process integration tests (listen on port 0).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "devepp/dev_epp_options.h"
#include "devepp/dev_epp_service.h"

namespace eppb {

class DevEppServer {
 public:
  // nullptr with *error when it cannot listen or load certificates.
  static std::unique_ptr<DevEppServer> Start(const DevEppOptions& options, std::string* error);
  ~DevEppServer();

  int port() const { return port_; }
  // The PEM certificate served with --tls (for clients that verify it).
  const std::string& certificate() const { return cert_pem_; }
  DevEppService& service() { return *service_; }
  void SetServing(bool serving);  // health status of every service name
  void Shutdown();
  void Wait();

 private:
  std::unique_ptr<DevEppService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string cert_pem_;
  int port_ = 0;
};

}  // namespace eppb
