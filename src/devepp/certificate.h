// Generates X.509 certificates with OpenSSL: the self-signed certificate of
// `dev-epp --tls` (like real EPPs: RSA, no SANs) and test CAs and leaves.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace eppb {

struct PemPair {
  std::string cert;
  std::string key;
};

struct CertificateSpec {
  std::string common_name = "epp";
  std::vector<std::string> dns_sans;  // empty: no subjectAltName at all
  std::vector<std::string> ip_sans;
  bool is_ca = false;
  int days = 365;
};

// Signed by `issuer` when given, self-signed otherwise. nullopt on failure.
std::optional<PemPair> GenerateCertificate(const CertificateSpec& spec,
                                           const PemPair* issuer = nullptr);

}  // namespace eppb
