#include "h2/h2_target_pool.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "h2/h2_health_probe.h"
#include "observe/entry_guard.h"
#include "observe/logging.h"
#include "observe/metrics.h"

namespace eppb {

H2TargetPool::H2TargetPool(boost::asio::io_context& io, EppTarget target,
                           std::shared_ptr<boost::asio::ssl::context> tls, std::string server_name,
                           const H2ClientOptions& options, std::shared_ptr<H2TargetState> shared,
                           bool probes)
    : loop_(io.get_executor()),
      target_(std::move(target)),
      tls_(std::move(tls)),
      server_name_(std::move(server_name)),
      options_(options),
      key_(target_.Key()),
      shared_(std::move(shared)),
      probes_(probes),
      probe_timer_(loop_) {}

void H2TargetPool::Start() {
  if (closing_ || shared_->retired()) return;
  joined_ = true;
  shared_->Join();
  if (!probes_) return;
  Metrics::Get().SetEppHealth(key_, EppHealthName(shared_->health()->load()));
  if (options_.health.interval.count() > 0) Probe();
}

void H2TargetPool::Probe() {
  if (closing_) return;
  std::weak_ptr<H2TargetPool> weak = shared_from_this();
  auto stream =
      H2HealthProbe::NewStream(loop_, options_.health.service, options_.health.timeout, options_,
                               [weak](EppHealth now, const grpc::Status& status) {
                                 if (auto self = weak.lock()) self->OnProbeDone(now, status);
                               });
  Place(std::move(stream));
}

void H2TargetPool::OnProbeDone(EppHealth now, const grpc::Status& status) {
  if (closing_) return;
  EppHealth before = shared_->health()->exchange(now);
  if (now != before) {
    if (!shared_->retired()) Metrics::Get().SetEppHealth(key_, EppHealthName(now));
    if (now == EppHealth::kNotServing) {
      // New requests to it fail at once until it serves again.
      LogEvent(
          spdlog::level::warn, "epp-health",
          {{"epp", key_}, {"health", EppHealthName(now)}, {"service", options_.health.service}});
    } else if (now == EppHealth::kUnreachable) {
      LogEvent(spdlog::level::info, "epp-health",
               {{"epp", key_}, {"health", EppHealthName(now)}, {"error", status.error_message()}});
    } else {
      LogEvent(spdlog::level::info, "epp-health", {{"epp", key_}, {"health", EppHealthName(now)}});
    }
  }
  auto next = options_.health.interval;
  if ((now == EppHealth::kNotServing || now == EppHealth::kUnreachable) &&
      options_.health.unhealthy_interval.count() > 0) {
    next = std::min(next, options_.health.unhealthy_interval);
  }
  probe_timer_.expires_after(next);
  std::weak_ptr<H2TargetPool> weak = shared_from_this();
  probe_timer_.async_wait([weak](boost::system::error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) Guarded("h2-health-probe", [&] { self->Probe(); });
  });
}

void H2TargetPool::Open(std::shared_ptr<H2Stream> stream) {
  if (stream->done()) return;  // cancelled before it got here
  if (closing_) return stream->Fail(grpc::Status(grpc::StatusCode::CANCELLED, "Cancelled"));
  if (shared_->live().load() > options_.max_streams_per_target) {
    return stream->Fail(grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        "too many streams to the EPP (" + std::to_string(options_.max_streams_per_target) + ")"));
  }
  Place(std::move(stream));
}

void H2TargetPool::Retry(std::shared_ptr<H2Stream> stream) {
  if (stream->done()) return;  // its deadline or a cancel came first
  if (closing_) return stream->Fail(grpc::Status(grpc::StatusCode::CANCELLED, "Cancelled"));
  LogEventLimited(spdlog::level::info, "epp-stream-retried",
                  {{"epp", key_}, {"reason", "refused by the EPP before processing"}});
  Place(std::move(stream));
}

void H2TargetPool::Place(std::shared_ptr<H2Stream> stream) {
  stream->Arm();
  H2Connection* best = nullptr;
  H2Connection* fallback = nullptr;
  for (auto& c : connections_) {
    if (!c->usable()) continue;
    if (c->HasRoom()) {
      best = c.get();
      break;
    }
    if (fallback == nullptr || c->load() < fallback->load()) fallback = c.get();
  }
  if (best == nullptr) {
    auto now = std::chrono::steady_clock::now();
    bool may_connect =
        connections_.size() < options_.max_connections && (fallback != nullptr || now >= retry_at_);
    if (may_connect) {
      best = NewConnection();
    } else if (fallback != nullptr) {
      best = fallback;
    } else if (connections_.empty() || now < retry_at_) {
      return stream->Fail(
          grpc::Status(grpc::StatusCode::UNAVAILABLE, "EPP unreachable: " + last_error_));
    } else {
      return stream->Fail(
          grpc::Status(grpc::StatusCode::UNAVAILABLE, "no usable connection to the EPP"));
    }
  }
  best->Add(std::move(stream));
}

H2Connection* H2TargetPool::NewConnection() {
  std::weak_ptr<H2TargetPool> weak = shared_from_this();
  H2Connection::Events events;
  events.ready = [weak](H2Connection*) {
    if (auto self = weak.lock()) {
      self->backoff_ = std::chrono::milliseconds(0);
      self->UpdateState();
    }
  };
  events.closed = [weak](H2Connection* c, bool was_ready, const std::string& why) {
    if (auto self = weak.lock()) self->OnClosed(c, was_ready, why);
  };
  events.refused = [weak](std::shared_ptr<H2Stream> stream) {
    auto self = weak.lock();
    if (!self) return stream->Fail(grpc::Status(grpc::StatusCode::CANCELLED, "Cancelled"));
    // Out of the connection's nghttp2 callback first: placing it may touch
    // other connections.
    boost::asio::post(self->loop_, [self, stream] {
      Guarded(
          "h2-retry", [&] { self->Retry(stream); },
          [&] { stream->Fail(grpc::Status(grpc::StatusCode::INTERNAL, "internal error")); });
    });
  };
  auto c = std::make_shared<H2Connection>(loop_, target_, tls_, server_name_, options_,
                                          std::move(events));
  connections_.push_back(c);
  c->Connect();
  UpdateState();
  return c.get();
}

void H2TargetPool::UpdateState() {
  using Pool = H2TargetState::Pool;
  Pool now = Pool::kIdle;
  if (closing_) {
    now = Pool::kShutdown;
  } else if (std::any_of(connections_.begin(), connections_.end(),
                         [](const auto& c) { return c->ready(); })) {
    now = Pool::kReady;
  } else if (!connections_.empty()) {
    now = Pool::kConnecting;
  } else if (backoff_.count() > 0) {
    now = Pool::kTransientFailure;  // until the next stream or probe connects again
  }
  if (now == state_) return;
  if (joined_) shared_->Move(state_, now);
  state_ = now;
}

void H2TargetPool::OnClosed(H2Connection* connection, bool was_ready, const std::string& why) {
  std::shared_ptr<H2Connection> gone;  // freed after the list is updated
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    if (it->get() == connection) {
      gone = std::move(*it);
      connections_.erase(it);
      break;
    }
  }
  if (was_ready) return UpdateState();  // it had worked: the next stream reconnects at once
  last_error_ = why;
  backoff_ = backoff_.count() == 0 ? options_.initial_backoff
                                   : std::min(options_.max_backoff,
                                              std::chrono::milliseconds(backoff_.count() * 8 / 5));
  retry_at_ = std::chrono::steady_clock::now() + backoff_;
  UpdateState();
}

void H2TargetPool::CancelAll() {
  closing_ = true;
  probe_timer_.cancel();
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& c : connections) c->Shutdown(grpc::Status(grpc::StatusCode::CANCELLED, "Cancelled"));
  UpdateState();
}

}  // namespace eppb
