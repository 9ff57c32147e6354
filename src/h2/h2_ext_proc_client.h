// ExtProcClient over HTTP/2 (--epp-transport h2): gRPC's ext_proc calls on
// libnghttp2 sessions over Asio sockets, one connection pool per EPP target.
//
// Threads: Start() runs on any executor (the exchanges' strands); it finds
// the target's pool under mu_ (a leaf lock over the map alone, never held
// while calling out) and hands the stream to the pool's strand with one post.
// Everything else about connections and streams lives on that strand.
//
// Health: each pool probes its EPP's grpc.health.v1 service; Start refuses
// (kNotServing) a target whose last answer was NOT_SERVING.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/tls_config.h"
#include "extproc/tracked_ext_proc_client.h"
#include "h2/h2_client_options.h"

namespace eppb {

class H2TargetPool;

class H2ExtProcClient final : public TrackedExtProcClient {
 public:
  // nullptr with *error when the TLS files cannot be loaded.
  static std::unique_ptr<H2ExtProcClient> Create(boost::asio::io_context& io, const TlsConfig& tls,
                                                 H2ClientOptions options, std::string* error);
  // Cancels what is left: through the strands while the io_context runs,
  // directly once it has stopped.
  ~H2ExtProcClient() override;

  std::shared_ptr<ExtProcStream> Start(const EppTarget& target,
                                       std::shared_ptr<ExtProcStreamCallbacks> callbacks,
                                       std::chrono::milliseconds max_lifetime,
                                       Refusal* refusal) override;
  void CancelAll() override;
  bool CancelAllAndWait(std::chrono::milliseconds timeout) override;
  size_t live_streams() const override;
  size_t targets() const override;

 private:
  H2ExtProcClient(boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls,
                  std::string server_name, H2ClientOptions options);
  bool EvictIdleLocked();  // mu_ held

  // Streams started and not ended, shared with each stream's end.
  struct Live {
    std::mutex mu;
    std::condition_variable idle;
    size_t streams = 0;
  };

  boost::asio::io_context& io_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // nullptr: h2c
  const std::string server_name_;
  const H2ClientOptions options_;
  std::shared_ptr<Live> live_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<H2TargetPool>> pools_;
};

}  // namespace eppb
