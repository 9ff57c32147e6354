#include "complete/held_stream_table.h"

#include <boost/asio/post.hpp>

#include "observe/entry_guard.h"
#include "observe/metrics.h"

namespace eppb {
namespace {
constexpr size_t kRemembered = 8192;
}

HeldStreamTable::HeldStreamTable(boost::asio::any_io_executor strand, size_t capacity,
                                 Metrics& metrics)
    : strand_(std::move(strand)), capacity_(capacity), metrics_(metrics) {}

void HeldStreamTable::Remember(std::unordered_set<std::string>& set, std::list<std::string>& order,
                               const std::string& key) {
  if (!set.insert(key).second) return;
  order.push_back(key);
  if (order.size() > kRemembered) {
    set.erase(order.front());
    order.pop_front();
  }
}

void HeldStreamTable::Hold(std::string key, std::shared_ptr<HeldStream> stream) {
  boost::asio::post(strand_, [this, k = std::move(key), s = std::move(stream)]() mutable {
    Guarded("held-stream-table", [&] { DoHold(std::move(k), std::move(s)); });
  });
}

void HeldStreamTable::Remove(std::string key, const HeldStream* stream) {
  boost::asio::post(strand_, [this, k = std::move(key), stream] {
    Guarded("held-stream-table", [&] { DoRemove(k, stream); });
  });
}

void HeldStreamTable::ReleaseAll(const char* reason) {
  boost::asio::post(
      strand_, [this, reason] { Guarded("held-stream-table", [&] { DoReleaseAll(reason); }); });
}

void HeldStreamTable::Published() {
  size_.store(entries_.size(), std::memory_order_relaxed);
  metrics_.held_streams().Set(static_cast<double>(entries_.size()));
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
  }
  metrics_.CountCompletionRecord(result);
  return result;
}

void HeldStreamTable::DoReleaseAll(const char* reason) {
  for (auto& [key, e] : entries_) e.stream->Release(reason);
  entries_.clear();
  order_.clear();
  Published();
}

}  // namespace eppb
