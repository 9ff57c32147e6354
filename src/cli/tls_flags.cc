#include "cli/tls_flags.h"

#include "cli/flags.h"

namespace eppb {

void AddTlsFlags(CLI::App* app, TlsConfig* tls) {
  const std::string g = "EPP connection (TLS)";
  AddFlag(app, "--endpoint-picker-disable-tls", tls->disable_tls,
          "Plaintext (h2c) to the EPP instead of TLS", g);
  app->add_option(
         "--endpoint-picker-tls-skip-verify", tls->skip_verify,
         "Do not verify the EPP's certificate (EPPs serve self-signed certificates "
         "without SANs); without a value: true, as in NGF; ignored when --epp-ca-file is given")
      ->envname(EnvNameFor(app, "--endpoint-picker-tls-skip-verify"))
      ->group(g)
      ->capture_default_str()
      ->expected(0, 1)
      ->default_str("true");
  AddOpt(app, "--epp-ca-file", tls->ca_file,
         "Verify the EPP's certificate against this PEM CA bundle", g);
  AddOpt(app, "--epp-server-name", tls->server_name,
         "Name to verify in the EPP's certificate instead of the target host", g);
  AddOpt(app, "--epp-client-cert", tls->cert_file, "PEM client certificate for mTLS", g);
  AddOpt(app, "--epp-client-key", tls->key_file, "PEM client key for mTLS", g);
}

bool ValidateTls(TlsConfig* tls, std::string* error) {
  if (!tls->ca_file.empty()) tls->skip_verify = false;
  if (tls->disable_tls && (!tls->ca_file.empty() || !tls->cert_file.empty())) {
    *error = "--endpoint-picker-disable-tls contradicts --epp-ca-file/--epp-client-cert";
    return false;
  }
  if (tls->cert_file.empty() != tls->key_file.empty()) {
    *error = "--epp-client-cert and --epp-client-key go together";
    return false;
  }
  return true;
}

}  // namespace eppb
