// A small HTTP/2 server (nghttp2) that speaks just enough gRPC to be an EPP
// and misbehaves on purpose, for the HTTP/2 transport's hostile-peer tests.
// It listens on 127.0.0.1:0; one thread accepts and one thread serves each
// connection (poll, nghttp2 memory I/O). It stops when destroyed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace testing_support {

enum class H2Misbehaviour {
  kHonest,          // answers each stream with a pick and grpc-status 0
  kGoawayStorm,     // GOAWAY (last stream 0) again and again on every connection
  kRstFlood,        // RST_STREAM INTERNAL_ERROR, many times, for every stream
  kZeroWindow,      // SETTINGS_INITIAL_WINDOW_SIZE 0 and never a WINDOW_UPDATE; no answer
  kHugeHeaders,     // a 256 KiB response header block
  kHugeTrailers,    // normal headers, then 256 KiB of trailers
  kDataWithoutEnd,  // a message that announces 1 MiB and trickles, never END_STREAM
  kStopReading,     // never reads the socket after accepting
  kRestartOnce,     // the first connection refuses its first stream with GOAWAY (last
                    // stream 0), as an EPP that restarts; later connections are honest
  kRefuseAlways,    // every stream gets RST_STREAM REFUSED_STREAM
  kSilent,          // a stalled EPP: takes the bytes, never answers a stream or a PING
};

struct HostileH2Options {
  H2Misbehaviour mode = H2Misbehaviour::kHonest;
  uint32_t max_concurrent_streams = 100;
  std::chrono::milliseconds answer_delay{0};  // kHonest: wait before answering
  std::string endpoint = "127.0.0.1:8001";    // kHonest: the endpoint picked
};

class HostileH2Server {
 public:
  explicit HostileH2Server(HostileH2Options options);
  ~HostileH2Server();
  HostileH2Server(const HostileH2Server&) = delete;
  HostileH2Server& operator=(const HostileH2Server&) = delete;

  int port() const { return port_; }
  int connections() const { return connections_.load(); }
  int streams() const { return streams_.load(); }
  // The most streams open at once on any one connection.
  int max_open_streams() const { return max_open_.load(); }
  // PINGs received (not their acknowledgements), over all connections.
  int pings() const { return pings_.load(); }

  struct Shared;  // what the connection threads share with the server

 private:
  void Accept();

  HostileH2Options options_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> streams_{0};
  std::atomic<int> max_open_{0};
  std::atomic<int> pings_{0};
  std::thread acceptor_;
  std::vector<std::thread> servers_;  // the acceptor's alone until joined
};

}  // namespace testing_support
