#include "support/hostile_h2_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <stdexcept>

#include "envoy/service/ext_proc/v3/external_processor.pb.h"
#include "h2/grpc_frame_decoder.h"

namespace testing_support {

namespace {

using Clock = std::chrono::steady_clock;

nghttp2_nv Nv(const std::string& name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}

std::string PickMessage(const std::string& endpoint) {
  envoy::service::ext_proc::v3::ProcessingResponse r;
  auto* h = r.mutable_request_headers()
                ->mutable_response()
                ->mutable_header_mutation()
                ->add_set_headers()
                ->mutable_header();
  h->set_key("x-gateway-destination-endpoint");
  h->set_raw_value(endpoint);
  std::string out;
  eppb::AppendGrpcFrame(r.SerializeAsString(), &out);
  return out;
}

// One accepted connection, served on its own thread.
class Connection {
 public:
  Connection(int fd, const HostileH2Options& o, bool first, std::atomic<bool>* stop,
             std::atomic<int>* streams, std::atomic<int>* max_open, std::atomic<int>* pings)
      : fd_(fd),
        o_(o),
        mode_(o.mode == H2Misbehaviour::kRestartOnce && !first ? H2Misbehaviour::kHonest : o.mode),
        stop_(stop),
        streams_(streams),
        max_open_(max_open),
        pings_(pings) {}
  ~Connection() {
    if (session_) nghttp2_session_del(session_);
    close(fd_);
  }

  void Run() {
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, OnFrameRecv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, OnStreamClose);
    nghttp2_option* opt;
    nghttp2_option_new(&opt);
    nghttp2_option_set_max_send_header_block_length(opt, 1 << 20);
    if (mode_ == H2Misbehaviour::kSilent) nghttp2_option_set_no_auto_ping_ack(opt, 1);
    nghttp2_session_server_new2(&session_, cbs, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    std::vector<nghttp2_settings_entry> settings{
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, o_.max_concurrent_streams}};
    if (mode_ == H2Misbehaviour::kZeroWindow) {
      settings.push_back({NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0});
    }
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());

    int goaways = 0;
    while (!stop_->load()) {
      if (mode_ == H2Misbehaviour::kGoawayStorm && goaways < 200) {
        nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, nullptr, 0);
        ++goaways;
      }
      Tick();
      if (!Write()) return;
      pollfd p{fd_, 0, 0};
      if (mode_ != H2Misbehaviour::kStopReading) p.events |= POLLIN;
      if (!pending_.empty() || nghttp2_session_want_write(session_)) p.events |= POLLOUT;
      if (poll(&p, 1, 5) < 0) return;
      if (p.revents & (POLLERR | POLLHUP)) return;
      if (p.revents & POLLIN) {
        uint8_t buf[16384];
        ssize_t n = recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return;
        if (nghttp2_session_mem_recv(session_, buf, static_cast<size_t>(n)) < 0) return;
      }
    }
  }

 private:
  struct Stream {
    Clock::time_point answer_at;
    bool answered = false;
    std::string out;  // response DATA not yet taken
    size_t taken = 0;
    bool trickle = false;
  };

  static Connection* Self(void* user) { return static_cast<Connection*>(user); }

  static int OnFrameRecv(nghttp2_session* s, const nghttp2_frame* f, void* user) {
    auto* self = Self(user);
    if (f->hd.type == NGHTTP2_PING && !(f->hd.flags & NGHTTP2_FLAG_ACK)) self->pings_->fetch_add(1);
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    int32_t id = f->hd.stream_id;
    self->streams_->fetch_add(1);
    Stream stream;
    stream.answer_at = Clock::now() + self->o_.answer_delay;
    self->open_.emplace(id, std::move(stream));
    int open = static_cast<int>(self->open_.size());
    int seen = self->max_open_->load();
    while (open > seen && !self->max_open_->compare_exchange_weak(seen, open)) {
    }
    if (self->mode_ == H2Misbehaviour::kRstFlood) {
      for (int i = 0; i < 100; ++i) {
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
      }
    }
    if (self->mode_ == H2Misbehaviour::kRefuseAlways) {
      nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
    }
    if (self->mode_ == H2Misbehaviour::kRestartOnce) {
      // Going away: nothing was processed (last stream 0).
      nghttp2_submit_goaway(s, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, nullptr, 0);
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t id, uint32_t, void* user) {
    Self(user)->open_.erase(id);
    return 0;
  }

  static ssize_t ReadData(nghttp2_session* s, int32_t id, uint8_t* buf, size_t len, uint32_t* flags,
                          nghttp2_data_source*, void* user) {
    auto* self = Self(user);
    auto it = self->open_.find(id);
    if (it == self->open_.end()) return NGHTTP2_ERR_DEFERRED;
    Stream& st = it->second;
    size_t n = std::min(len, st.out.size() - st.taken);
    std::copy_n(st.out.data() + st.taken, n, buf);
    st.taken += n;
    if (st.taken < st.out.size()) return static_cast<ssize_t>(n);
    if (st.trickle) {
      st.out.clear();
      st.taken = 0;
      return n > 0 ? static_cast<ssize_t>(n) : ssize_t{NGHTTP2_ERR_DEFERRED};
    }
    *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    std::vector<nghttp2_nv> trailers;
    std::string big(2048, 't');
    std::vector<std::string> names;
    if (self->mode_ == H2Misbehaviour::kHugeTrailers) {
      for (int i = 0; i < 128; ++i) names.push_back("x-trailer-" + std::to_string(i));
      for (auto& name : names) trailers.push_back(Nv(name, big));
    }
    static const std::string kStatus = "grpc-status", kZero = "0";
    trailers.push_back(Nv(kStatus, kZero));
    nghttp2_submit_trailer(s, id, trailers.data(), trailers.size());
    return static_cast<ssize_t>(n);
  }

  // Answers the streams that are due, and trickles DATA.
  void Tick() {
    auto now = Clock::now();
    for (auto& [id, st] : open_) {
      if (st.trickle && st.out.empty()) {
        st.out.assign(256, 'd');  // more of a message that never completes
        nghttp2_session_resume_data(session_, id);
        continue;
      }
      if (st.answered || now < st.answer_at) continue;
      switch (mode_) {
        case H2Misbehaviour::kHonest:
        case H2Misbehaviour::kHugeHeaders:
        case H2Misbehaviour::kHugeTrailers:
        case H2Misbehaviour::kDataWithoutEnd:
          break;
        default:
          continue;  // no answer at all
      }
      st.answered = true;
      static const std::string kS = ":status", k200 = "200", kCt = "content-type",
                               kGrpc = "application/grpc";
      std::vector<nghttp2_nv> headers{Nv(kS, k200), Nv(kCt, kGrpc)};
      std::vector<std::string> names;
      std::string big(2048, 'h');
      if (mode_ == H2Misbehaviour::kHugeHeaders) {
        for (int i = 0; i < 128; ++i) names.push_back("x-header-" + std::to_string(i));
        for (auto& n : names) headers.push_back(Nv(n, big));
      }
      if (mode_ == H2Misbehaviour::kDataWithoutEnd) {
        st.out = std::string("\0\0\x10\0\0", 5);  // announces 1 MiB
        st.trickle = true;
      } else {
        st.out = PickMessage(o_.endpoint);
      }
      nghttp2_data_provider provider{};
      provider.read_callback = ReadData;
      nghttp2_submit_response(session_, id, headers.data(), headers.size(), &provider);
    }
  }

  // Sends what nghttp2 has (never blocks: what the socket does not take waits).
  bool Write() {
    while (pending_.size() < (1 << 20)) {
      const uint8_t* data;
      ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) return false;
      if (n == 0) break;
      pending_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    while (!pending_.empty()) {
      ssize_t n = send(fd_, pending_.data(), pending_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
      pending_.erase(0, static_cast<size_t>(n));
    }
    return true;
  }

  int fd_;
  const HostileH2Options& o_;
  const H2Misbehaviour mode_;  // kRestartOnce is honest after the first connection
  std::atomic<bool>* stop_;
  std::atomic<int>* streams_;
  std::atomic<int>* max_open_;
  std::atomic<int>* pings_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, Stream> open_;
  std::string pending_;
};

}  // namespace

HostileH2Server::HostileH2Server(HostileH2Options options) : options_(std::move(options)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("hostile HTTP/2 server: cannot listen");
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

HostileH2Server::~HostileH2Server() {
  stop_ = true;
  acceptor_.join();
  for (auto& t : servers_) t.join();
  close(listen_fd_);
}

void HostileH2Server::Accept() {
  while (!stop_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (options_.mode == H2Misbehaviour::kStopReading) {
      // A small receive buffer, so the client's writes stall soon.
      int small = 4096;
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    }
    const bool first = connections_.fetch_add(1) == 0;
    servers_.emplace_back([this, fd, first] {
      Connection c(fd, options_, first, &stop_, &streams_, &max_open_, &pings_);
      c.Run();
    });
  }
}

}  // namespace testing_support
