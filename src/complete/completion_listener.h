// Receives NGINX's completion records on a unix datagram socket (NGINX's
// `access_log syslog:server=unix:PATH`) and routes each to its held stream.
// Adds nothing to the client's path: NGINX writes the record after the
// response, without waiting, and a lost record only means the stream is
// closed by its TTL instead.
//
// The socket has a thread of its own, which only reads it. NGINX sends
// without blocking and drops a record the socket cannot queue, and the
// kernel queues few datagrams on a unix socket (net.unix.max_dgram_qlen:
// 10 in a new network namespace, as in a Pod), so the socket is read the
// moment a record arrives rather than when a busy worker loop gets to it.
// The thread parses what one wake-up brings and hands the records to the
// first worker loop's table with one post (HeldStreamTable passes a record
// on when another loop holds its stream).
//
// Threads: Bind and Run from the starting thread, Stop from any thread
// (joins the reader); the destructor stops it too.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>

#include "complete/held_stream_table.h"

namespace eppb {

class CompletionListener {
 public:
  // `table` (the first loop's) outlives the listener.
  explicit CompletionListener(HeldStreamTable* table);
  ~CompletionListener();
  CompletionListener(const CompletionListener&) = delete;
  CompletionListener& operator=(const CompletionListener&) = delete;
  // The socket file's mode: NGINX's workers reach it through its group.
  static constexpr mode_t kSocketMode = 0660;
  // Datagrams read in one wake-up, at most.
  static constexpr int kBatch = 64;
  // Binds PATH (an absolute path; a stale socket file there is replaced),
  // mode kSocketMode, owned by `group` when given (else the process's group);
  // false with *error.
  bool Bind(const std::string& path, std::optional<gid_t> group, std::string* error);
  // Starts the reader thread.
  void Run();
  // Stops and joins the reader thread; records still queued are not read.
  void Stop();

 private:
  void ReadLoop();
  // The records of one wake-up's datagrams, to the table's loop in one post.
  void Route(std::vector<CompletionRecord> records);

  HeldStreamTable* table_;
  int fd_ = -1;
  std::string path_;
  std::atomic<bool> stopping_{false};
  std::thread reader_;
};

}  // namespace eppb
