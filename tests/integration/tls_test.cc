// Every TLS mode between the bridge and the EPP.
#include "devepp/certificate.h"
#include "stack.h"

namespace eppb::testing {
namespace {

using testing_support::HttpClient;
using testing_support::TempDir;

struct Pki {
  PemPair ca, server, client, other_ca;
};

Pki MakePki() {
  Pki p;
  CertificateSpec ca;
  ca.common_name = "test-ca";
  ca.is_ca = true;
  p.ca = *GenerateCertificate(ca);
  CertificateSpec server;
  server.common_name = "epp.test";
  server.dns_sans = {"epp.test"};
  p.server = *GenerateCertificate(server, &p.ca);
  CertificateSpec client;
  client.common_name = "bridge";
  p.client = *GenerateCertificate(client, &p.ca);
  ca.common_name = "other-ca";
  p.other_ca = *GenerateCertificate(ca);
  return p;
}

class Tls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new Pki(MakePki()); }
  static void TearDownTestSuite() { delete pki_; }
  int Status(ServeOptions o, int epp_port) {
    auto bridge = StartBridge(o);
    HttpClient c(bridge->port());
    auto r = c.Send("POST", "/", EppHeaders(epp_port), kChatBody);
    last_error_ = r.Header("X-EPP-Error");
    return r.status;
  }
  static Pki* pki_;
  TempDir dir_;
  std::string last_error_;
};
Pki* Tls::pki_ = nullptr;

TEST_F(Tls, SkipVerifyWorksAgainstAGeneratedSelfSignedCertificate) {
  DevEppOptions eo;
  eo.tls = true;  // like real EPPs: self-signed, no SANs
  auto epp = StartEpp(eo);
  ServeOptions o;  // NGF defaults: TLS on, skip-verify true
  EXPECT_EQ(Status(o, epp->port()), 200);
  auto plain = Plaintext();  // plaintext against TLS fails cleanly
  EXPECT_EQ(Status(plain, epp->port()), 503);
}

TEST_F(Tls, VerificationAgainstTheRightCaWorksAndTheWrongCaFailsCleanly) {
  DevEppOptions eo;
  eo.tls = true;
  eo.tls_cert_file = dir_.Write("server.pem", pki_->server.cert);
  eo.tls_key_file = dir_.Write("server.key", pki_->server.key);
  auto epp = StartEpp(eo);
  ServeOptions good;
  good.tls.ca_file = dir_.Write("ca.pem", pki_->ca.cert);
  good.tls.server_name = "epp.test";
  EXPECT_EQ(Status(good, epp->port()), 200);

  ServeOptions wrong_ca = good;
  wrong_ca.tls.ca_file = dir_.Write("other.pem", pki_->other_ca.cert);
  EXPECT_EQ(Status(wrong_ca, epp->port()), 503);
  EXPECT_EQ(last_error_, "epp-unavailable");

  ServeOptions wrong_name = good;
  wrong_name.tls.server_name = "not-the-epp.test";
  EXPECT_EQ(Status(wrong_name, epp->port()), 503);
}

TEST_F(Tls, MutualTls) {
  DevEppOptions eo;
  eo.tls = true;
  eo.tls_cert_file = dir_.Write("server.pem", pki_->server.cert);
  eo.tls_key_file = dir_.Write("server.key", pki_->server.key);
  eo.tls_client_ca_file = dir_.Write("ca.pem", pki_->ca.cert);
  auto epp = StartEpp(eo);
  ServeOptions with_cert;
  with_cert.tls.ca_file = dir_.File("ca.pem");
  with_cert.tls.server_name = "epp.test";
  with_cert.tls.cert_file = dir_.Write("client.pem", pki_->client.cert);
  with_cert.tls.key_file = dir_.Write("client.key", pki_->client.key);
  EXPECT_EQ(Status(with_cert, epp->port()), 200);
  ServeOptions skip_with_cert;  // skip-verify still presents the client certificate
  skip_with_cert.tls.cert_file = with_cert.tls.cert_file;
  skip_with_cert.tls.key_file = with_cert.tls.key_file;
  EXPECT_EQ(Status(skip_with_cert, epp->port()), 200);
  ServeOptions without_cert;
  without_cert.tls.ca_file = dir_.File("ca.pem");
  without_cert.tls.server_name = "epp.test";
  EXPECT_EQ(Status(without_cert, epp->port()), 503);
}

}  // namespace
}  // namespace eppb::testing
