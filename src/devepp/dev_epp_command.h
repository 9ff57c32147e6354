// `epp-bridge dev-epp`: the development Endpoint Picker.
#pragma once

#include <CLI/CLI.hpp>

namespace eppb {

struct DevEppFlags {
  std::string listen = "127.0.0.1:9002";
  std::string endpoints;
  std::string policy = "round-robin";
  std::string rewrite_model;
  bool tls = false;
  std::string tls_cert, tls_key, tls_client_ca;
  bool fallbacks = false;
  size_t reply_chunk_bytes = 62000;
  std::string health = "serving";
  std::string log_level = "info";
};

CLI::App* AddDevEppCommand(CLI::App* app, DevEppFlags* flags);
int RunDevEpp(const DevEppFlags& flags);

}  // namespace eppb
