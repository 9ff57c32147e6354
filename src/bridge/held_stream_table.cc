#include "bridge/held_stream_table.h"

#include "observe/metrics.h"

namespace eppb {
namespace {
constexpr size_t kRemembered = 8192;
}

void HeldStreamTable::Remember(std::unordered_set<std::string>& set,
                               std::list<std::string>& order, const std::string& id) {
  if (!set.insert(id).second) return;
  order.push_back(id);
  if (order.size() > kRemembered) {
    set.erase(order.front());
    order.pop_front();
  }
}

void HeldStreamTable::Hold(const std::string& id, std::shared_ptr<HeldStream> stream) {
  std::shared_ptr<HeldStream> replaced, evicted;
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(id); it != entries_.end()) {
      replaced = std::move(it->second.stream);
      order_.erase(it->second.order);
      entries_.erase(it);
    } else if (entries_.size() >= capacity_ && !order_.empty()) {
      auto oldest = entries_.find(order_.front());
      evicted = std::move(oldest->second.stream);
      Remember(expired_, expired_order_, oldest->first);
      entries_.erase(oldest);
      order_.pop_front();
    }
    order_.push_back(id);
    entries_[id] = Entry{std::move(stream), std::prev(order_.end())};
    Metrics::Get().held_streams().Set(static_cast<double>(entries_.size()));
  }
  if (replaced) replaced->Release("replaced");
  if (evicted) evicted->Release("capacity");
}

bool HeldStreamTable::Remove(const std::string& id, const HeldStream* stream) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.stream.get() != stream) return false;
  order_.erase(it->second.order);
  entries_.erase(it);
  Remember(expired_, expired_order_, id);
  Metrics::Get().held_streams().Set(static_cast<double>(entries_.size()));
  return true;
}

const char* HeldStreamTable::Complete(const CompletionRecord& record) {
  std::shared_ptr<HeldStream> stream;
  const char* result = "unknown";
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(record.request_id);
    if (it != entries_.end()) {
      stream = std::move(it->second.stream);
      order_.erase(it->second.order);
      entries_.erase(it);
      Remember(completed_, completed_order_, record.request_id);
      Metrics::Get().held_streams().Set(static_cast<double>(entries_.size()));
      result = "matched";
    } else if (completed_.contains(record.request_id)) {
      result = "duplicate";
    } else if (expired_.contains(record.request_id)) {
      result = "late";
    }
  }
  if (stream) stream->Complete(record);
  Metrics::Get().CountCompletionRecord(result);
  return result;
}

void HeldStreamTable::ReleaseAll(const char* reason) {
  std::unordered_map<std::string, Entry> all;
  {
    std::lock_guard lock(mu_);
    all.swap(entries_);
    order_.clear();
    Metrics::Get().held_streams().Set(0);
  }
  for (auto& [id, e] : all) e.stream->Release(reason);
}

size_t HeldStreamTable::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace eppb
