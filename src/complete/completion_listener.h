// Receives NGINX's completion records on a unix datagram socket (NGINX's
// `access_log syslog:server=unix:PATH`) and routes each to its held stream.
// Adds nothing to the client's path: NGINX writes the record after the
// response, without waiting, and a lost record only means the stream is
// closed by its TTL instead. The socket lives on the first worker loop's
// table's loop, so a record is tried there with no hand-off
// (HeldStreamTable passes it on when another loop holds it).
#pragma once

#include <sys/types.h>

#include <array>
#include <boost/asio/local/datagram_protocol.hpp>
#include <memory>
#include <optional>
#include <string>

#include "complete/held_stream_table.h"

namespace eppb {

class CompletionListener : public std::enable_shared_from_this<CompletionListener> {
 public:
  // `table` (the first loop's) outlives the listener; its loop runs the
  // listener too.
  explicit CompletionListener(HeldStreamTable* table);
  ~CompletionListener();
  // The socket file's mode: NGINX's workers reach it through its group.
  static constexpr mode_t kSocketMode = 0660;
  // Binds PATH (an absolute path; a stale socket file there is replaced),
  // mode kSocketMode, owned by `group` when given (else the process's group);
  // false with *error.
  bool Bind(const std::string& path, std::optional<gid_t> group, std::string* error);
  void Run();
  void Stop();

 private:
  void DoReceive();
  void Route(size_t n);  // the datagram of n bytes in buffer_
  boost::asio::local::datagram_protocol::socket socket_;
  HeldStreamTable* table_;
  std::string path_;
  std::array<char, 8192> buffer_;
};

}  // namespace eppb
