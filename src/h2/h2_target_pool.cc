#include "h2/h2_target_pool.h"

#include <boost/asio/strand.hpp>

#include "observe/logging.h"

namespace eppb {

H2TargetPool::H2TargetPool(boost::asio::io_context& io, EppTarget target,
                           std::shared_ptr<boost::asio::ssl::context> tls, std::string server_name,
                           const H2ClientOptions& options)
    : strand_(boost::asio::make_strand(io)),
      target_(std::move(target)),
      tls_(std::move(tls)),
      server_name_(std::move(server_name)),
      options_(options) {}

void H2TargetPool::Open(std::shared_ptr<H2Stream> stream) {
  if (stream->done()) return;  // cancelled before it got here
  if (closing_) return stream->Fail(grpc::Status(grpc::StatusCode::CANCELLED, "Cancelled"));
  if (live_.load() > options_.max_streams_per_target) {
    return stream->Fail(grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        "too many streams to the EPP (" + std::to_string(options_.max_streams_per_target) + ")"));
  }
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
    if (auto self = weak.lock()) self->backoff_ = std::chrono::milliseconds(0);
  };
  events.closed = [weak](H2Connection* c, bool was_ready, const std::string& why) {
    if (auto self = weak.lock()) self->OnClosed(c, was_ready, why);
  };
  auto c = std::make_shared<H2Connection>(strand_, target_, tls_, server_name_, options_,
                                          std::move(events));
  connections_.push_back(c);
  c->Connect();
  return c.get();
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
  if (was_ready) return;  // it had worked: the next stream reconnects at once
  last_error_ = why;
  backoff_ = backoff_.count() == 0 ? options_.initial_backoff
                                   : std::min(options_.max_backoff,
                                              std::chrono::milliseconds(backoff_.count() * 8 / 5));
  retry_at_ = std::chrono::steady_clock::now() + backoff_;
}

void H2TargetPool::CancelAll() {
  closing_ = true;
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& c : connections) c->Shutdown(grpc::Status(grpc::StatusCode::CANCELLED, "Cancelled"));
}

}  // namespace eppb
