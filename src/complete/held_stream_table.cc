#include "complete/held_stream_table.h"

#include <boost/asio/post.hpp>

#include "observe/entry_guard.h"
#include "observe/logging.h"
#include "observe/metrics.h"

namespace eppb {
HeldStreamTable::HeldStreamTable(Executor loop, size_t capacity, Metrics& metrics,
                                 HeldStreamTable* next, size_t remembered)
    : loop_(std::move(loop)),
      capacity_(capacity),
      remembered_(remembered),
      metrics_(metrics),
      next_(next) {}

HeldStreamTable::~HeldStreamTable() {
  if (published_ > 0) metrics_.held_streams().Decrement(static_cast<double>(published_));
}

template <class Work>
void HeldStreamTable::OnLoop(Work&& work) {
  if (loop_.running_in_this_thread()) {
    work();
  } else {
    boost::asio::post(loop_, [w = std::forward<Work>(work)]() mutable { w(); });
  }
}

void HeldStreamTable::Remember(std::unordered_set<std::string>& set, std::list<std::string>& order,
                               const std::string& key) const {
  if (!set.insert(key).second) return;
  order.push_back(key);
  if (order.size() > remembered_) {
    set.erase(order.front());
    order.pop_front();
  }
}

void HeldStreamTable::Hold(std::string key, std::shared_ptr<HeldStream> stream) {
  OnLoop([this, k = std::move(key), s = std::move(stream)]() mutable {
    Guarded("held-stream-table", [&] { DoHold(std::move(k), std::move(s)); });
  });
}

void HeldStreamTable::Remove(std::string key, const HeldStream* stream) {
  OnLoop([this, k = std::move(key), stream] {
    Guarded("held-stream-table", [&] { DoRemove(k, stream); });
  });
}

void HeldStreamTable::ReleaseAll(const char* reason) {
  boost::asio::post(
      loop_, [this, reason] { Guarded("held-stream-table", [&] { DoReleaseAll(reason); }); });
}

void HeldStreamTable::Published() {
  size_.store(entries_.size(), std::memory_order_relaxed);
  // The gauge is the sum over the loops' tables: each adds its change.
  double change = static_cast<double>(entries_.size()) - static_cast<double>(published_);
  if (change != 0) metrics_.held_streams().Increment(change);
  published_ = entries_.size();
}

void HeldStreamTable::Erase(std::unordered_map<std::string, Entry>::iterator it) {
  order_.erase(it->second.order);
  entries_.erase(it);
}

void HeldStreamTable::DoHold(std::string key, std::shared_ptr<HeldStream> stream) {
  if (auto it = entries_.find(key); it != entries_.end()) {
    it->second.stream->Release("replaced");
    Erase(it);
  } else if (entries_.size() >= capacity_ && !order_.empty()) {
    auto oldest = entries_.find(order_.front());
    oldest->second.stream->Release("capacity");
    Remember(expired_, expired_order_, oldest->first);
    Erase(oldest);
  }
  order_.push_back(key);
  auto at = std::prev(order_.end());
  entries_.emplace(std::move(key), Entry{std::move(stream), at});
  Published();
}

void HeldStreamTable::DoRemove(const std::string& key, const HeldStream* stream) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.stream.get() != stream) return;
  Erase(it);
  Remember(expired_, expired_order_, key);
  Published();
}

const char* HeldStreamTable::Complete(const CompletionRecord& record) {
  const char* result = "unknown";
  if (auto it = entries_.find(record.request_id); it != entries_.end()) {
    it->second.stream->Complete(record);
    Erase(it);
    Remember(completed_, completed_order_, record.request_id);
    Published();
    result = "matched";
  } else if (completed_.contains(record.request_id)) {
    result = "duplicate";
  } else if (expired_.contains(record.request_id)) {
    result = "late";
  } else if (next_ != nullptr) {  // held on another loop, or by none
    boost::asio::post(next_->loop_, [next = next_, record] {
      Guarded("held-stream-table", [&] { next->Complete(record); });
    });
    return "passed";  // counted by the table that decides it
  }
  metrics_.CountCompletionRecord(result);
  if (std::string_view(result) != "matched") {
    LogEventLimited(spdlog::level::debug, "completion-record",
                    {{"key", record.request_id}, {"result", result}});
  }
  return result;
}

void HeldStreamTable::DoReleaseAll(const char* reason) {
  for (auto& [key, e] : entries_) e.stream->Release(reason);
  entries_.clear();
  order_.clear();
  Published();
}

}  // namespace eppb
