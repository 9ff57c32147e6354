// Settings of the development EPP.
#pragma once

#include <string>
#include <vector>

#include "common/endpoint.h"
#include "devepp/picker.h"

namespace eppb {

struct DevEppOptions {
  std::string listen = "127.0.0.1:9002";
  std::vector<Endpoint> endpoints;
  PickPolicy policy = PickPolicy::kRoundRobin;
  std::string rewrite_from, rewrite_to;  // --rewrite-model old=new
  bool tls = false;
  std::string tls_cert_file, tls_key_file;  // instead of a generated certificate
  std::string tls_client_ca_file;           // require client certificates (mTLS)
  size_t reply_chunk_bytes = 62000;         // body chunks streamed back
  bool fallbacks = false;                   // list the other endpoints after the pick
  std::string health = "serving";           // grpc.health.v1: serving, not-serving, off
};

}  // namespace eppb
