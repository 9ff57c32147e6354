// The OpenSSL client context of the HTTP/2 transport, from the same TLS
// flags as the gRPC transport: skip-verify, CA verification (with
// --epp-server-name), mTLS, and ALPN "h2".
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "common/tls_config.h"

namespace eppb {

// nullptr with *error when a file cannot be loaded (a fatal startup error);
// also nullptr, without error, for plaintext (tls.disable_tls).
std::shared_ptr<boost::asio::ssl::context> MakeH2TlsContext(const TlsConfig& tls,
                                                            std::string* error);

}  // namespace eppb
