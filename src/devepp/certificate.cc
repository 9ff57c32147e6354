#include "devepp/certificate.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace eppb {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

std::string BioString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

bool AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

}  // namespace

std::optional<PemPair> GenerateCertificate(const CertificateSpec& spec, const PemPair* issuer) {
  KeyPtr key(EVP_RSA_gen(2048));
  CertPtr cert(X509_new());
  if (!key || !cert) return std::nullopt;

  KeyPtr issuer_key;
  CertPtr issuer_cert;
  if (issuer) {
    BioPtr kb(BIO_new_mem_buf(issuer->key.data(), static_cast<int>(issuer->key.size())));
    BioPtr cb(BIO_new_mem_buf(issuer->cert.data(), static_cast<int>(issuer->cert.size())));
    issuer_key.reset(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
    issuer_cert.reset(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    if (!issuer_key || !issuer_cert) return std::nullopt;
  }

  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * spec.days);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509* signer_cert = issuer ? issuer_cert.get() : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer_cert));

  if (spec.is_ca) {
    if (!AddExt(cert.get(), signer_cert, NID_basic_constraints, "critical,CA:TRUE") ||
        !AddExt(cert.get(), signer_cert, NID_key_usage, "critical,keyCertSign,cRLSign")) {
      return std::nullopt;
    }
  }
  std::string sans;
  for (const auto& d : spec.dns_sans) sans += (sans.empty() ? "" : ",") + ("DNS:" + d);
  for (const auto& i : spec.ip_sans) sans += (sans.empty() ? "" : ",") + ("IP:" + i);
  if (!sans.empty() && !AddExt(cert.get(), signer_cert, NID_subject_alt_name, sans)) {
    return std::nullopt;
  }
  EVP_PKEY* signer_key = issuer ? issuer_key.get() : key.get();
  if (X509_sign(cert.get(), signer_key, EVP_sha256()) == 0) return std::nullopt;

  BioPtr cb(BIO_new(BIO_s_mem())), kb(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509(cb.get(), cert.get()) ||
      !PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
    return std::nullopt;
  }
  return PemPair{BioString(cb.get()), BioString(kb.get())};
}

}  // namespace eppb
