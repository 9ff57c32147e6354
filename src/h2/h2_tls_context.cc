#include "h2/h2_tls_context.h"

#include <openssl/ssl.h>

namespace eppb {

std::shared_ptr<boost::asio::ssl::context> MakeH2TlsContext(const TlsConfig& tls,
                                                            std::string* error) {
  namespace ssl = boost::asio::ssl;
  if (tls.disable_tls) return nullptr;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                   ec);
  if (tls.skip_verify && tls.ca_file.empty()) {
    ctx->set_verify_mode(ssl::verify_none, ec);
  } else {
    ctx->set_verify_mode(ssl::verify_peer, ec);
    if (!tls.ca_file.empty()) {
      ctx->load_verify_file(tls.ca_file, ec);
      if (ec) {
        *error = "cannot load the CA bundle " + tls.ca_file + ": " + ec.message();
        return nullptr;
      }
    } else {
      ctx->set_default_verify_paths(ec);
    }
  }
  if (!tls.cert_file.empty()) {
    ctx->use_certificate_chain_file(tls.cert_file, ec);
    if (!ec) ctx->use_private_key_file(tls.key_file, ssl::context::pem, ec);
    if (ec) {
      *error = "cannot load the client certificate " + tls.cert_file + " / " + tls.key_file + ": " +
               ec.message();
      return nullptr;
    }
  }
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  if (SSL_CTX_set_alpn_protos(ctx->native_handle(), kAlpn, sizeof kAlpn) != 0) {
    *error = "cannot offer ALPN h2";
    return nullptr;
  }
  return ctx;
}

}  // namespace eppb
