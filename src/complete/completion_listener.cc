#include "complete/completion_listener.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "observe/entry_guard.h"
#include "observe/logging.h"
#include "observe/metrics.h"

namespace eppb {

namespace asio = boost::asio;
using datagram = asio::local::datagram_protocol;

CompletionListener::CompletionListener(HeldStreamTable* table)
    : socket_(table->loop()), table_(table) {}

CompletionListener::~CompletionListener() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

bool CompletionListener::Bind(const std::string& path, std::optional<gid_t> group,
                              std::string* error) {
  // Bound under a temporary name, given its mode and group, then renamed into
  // place: the socket never appears under PATH with wider permissions.
  const std::string staging = path + ".new";
  if (path.empty() || path.front() != '/') {
    *error = "--completion-socket must be an absolute path: " + path;
    return false;
  }
  if (staging.size() >= sizeof(sockaddr_un::sun_path)) {
    *error = "--completion-socket path is too long: " + path;
    return false;
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode)) {
    *error = "--completion-socket " + path + " exists and is not a socket";
    return false;
  }
  if (::lstat(staging.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(staging.c_str());
  boost::system::error_code ec;
  socket_.open(datagram(), ec);
  if (!ec) socket_.bind(datagram::endpoint(staging), ec);
  if (!ec) socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
  if (ec) {
    *error = "cannot bind --completion-socket " + path + ": " + ec.message();
    return false;
  }
  std::string step;
  if (::chmod(staging.c_str(), kSocketMode) != 0) {
    step = "chmod";
  } else if (group && ::chown(staging.c_str(), static_cast<uid_t>(-1), *group) != 0) {
    step = "chown to group " + std::to_string(*group);
  } else if (::rename(staging.c_str(), path.c_str()) != 0) {  // replaces a stale socket
    step = "rename";
  }
  if (!step.empty()) {
    *error = "--completion-socket " + path + ": " + step + " failed: " + std::strerror(errno);
    ::unlink(staging.c_str());
    socket_.close(ec);
    return false;
  }
  path_ = path;
  return true;
}

void CompletionListener::Run() { DoReceive(); }

void CompletionListener::Stop() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->socket_.close(ec);
  });
}

void CompletionListener::DoReceive() {
  socket_.async_receive(asio::buffer(buffer_),
                        [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                          if (ec == asio::error::operation_aborted || !self->socket_.is_open())
                            return;
                          if (!ec) Guarded("completion-listener", [&] { self->Route(n); });
                          self->DoReceive();
                        });
}

void CompletionListener::Route(size_t n) {
  CompletionRecord record;
  std::string error;
  std::string_view datagram(buffer_.data(), n);
  if (!ParseCompletionRecord(datagram, &record, &error)) {
    table_->metrics().CountCompletionRecord("malformed");
    LogEventLimited(spdlog::level::warn, "completion-record-malformed", {{"error", error}});
    return;
  }
  table_->Complete(record);  // counts and logs it, here or on the loop that decides it
}

}  // namespace eppb
