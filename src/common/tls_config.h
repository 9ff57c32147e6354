// How the bridge secures its channels to EPPs.
#pragma once

#include <string>

namespace eppb {

struct TlsConfig {
  // NGINX Gateway Fabric's flags and defaults: TLS on, verification off,
  // because EPPs serve self-signed certificates without SANs.
  bool disable_tls = false;
  bool skip_verify = true;
  // Verification against a CA bundle (implies skip_verify=false).
  std::string ca_file;
  std::string server_name;  // overrides the name checked in the certificate
  // mTLS client identity.
  std::string cert_file;
  std::string key_file;
};

}  // namespace eppb
