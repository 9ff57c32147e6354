#include "complete/completion_listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "observe/entry_guard.h"
#include "observe/logging.h"
#include "observe/metrics.h"

namespace eppb {

CompletionListener::CompletionListener(HeldStreamTable* table) : table_(table) {}

CompletionListener::~CompletionListener() {
  Stop();
  if (fd_ >= 0) ::close(fd_);
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
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, staging.c_str(), staging.size() + 1);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    *error = "cannot bind --completion-socket " + path + ": " + std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return false;
  }
  int bytes = 4 << 20;  // records are small: the kernel's datagram count binds first
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
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
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  path_ = path;
  return true;
}

void CompletionListener::Run() {
  if (fd_ < 0 || reader_.joinable()) return;
  reader_ = std::thread([this] { Guarded("completion-listener", [&] { ReadLoop(); }); });
}

void CompletionListener::Stop() {
  if (!reader_.joinable()) return;
  stopping_.store(true);
  ::shutdown(fd_, SHUT_RDWR);  // wakes the reader's recvmmsg
  reader_.join();
}

void CompletionListener::ReadLoop() {
  // A record is a few hundred bytes and the parser refuses one over 4 KiB: a
  // longer datagram is cut to one byte more, and refused. Left uninitialised,
  // the pages are touched only as records arrive.
  constexpr size_t kDatagramBytes = 4096 + 1;
  std::unique_ptr<char[]> buffers(new char[kBatch * kDatagramBytes]);
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  while (!stopping_.load()) {
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {buffers.get() + i * kDatagramBytes, kDatagramBytes};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    // Blocks for the first datagram, then takes what else is queued.
    int n = ::recvmmsg(fd_, msgs.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (!stopping_.load()) {
        LogEvent(spdlog::level::err, "completion-socket-failed", {{"error", std::strerror(errno)}});
      }
      return;
    }
    if (n == 0 || stopping_.load()) return;  // shut down
    std::vector<CompletionRecord> records;
    records.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      std::string_view datagram(buffers.get() + i * kDatagramBytes, msgs[i].msg_len);
      CompletionRecord record;
      std::string error;
      if (ParseCompletionRecord(datagram, &record, &error)) {
        records.push_back(std::move(record));
      } else {
        table_->metrics().CountCompletionRecord("malformed");
        LogEventLimited(spdlog::level::warn, "completion-record-malformed", {{"error", error}});
      }
    }
    if (!records.empty()) Route(std::move(records));
  }
}

void CompletionListener::Route(std::vector<CompletionRecord> records) {
  HeldStreamTable* table = table_;
  boost::asio::post(table->loop(), [table, records = std::move(records)] {
    for (const auto& r : records) {
      // Counts and logs it, here or on the loop that decides it.
      Guarded("completion-listener", [&] { table->Complete(r); });
    }
  });
}

}  // namespace eppb
