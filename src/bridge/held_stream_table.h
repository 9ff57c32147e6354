// The held streams, keyed by request id, with a cap. Thread-safe: exchanges
// insert and remove from their strands, the completion listener takes.
// When full, the oldest entry is released: a full table most likely holds
// streams whose completion records were lost.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "bridge/held_stream.h"

namespace eppb {

class HeldStreamTable {
 public:
  explicit HeldStreamTable(size_t capacity) : capacity_(capacity) {}

  // Holds `stream` under `id`. Releases an entry already under the same id
  // ("replaced") or the oldest one when full ("capacity").
  void Hold(const std::string& id, std::shared_ptr<HeldStream> stream);
  // Removes `id` if it still maps to `stream` (TTL expiry, EPP closed); `why`
  // is remembered so that a late record is told apart from an unknown one.
  bool Remove(const std::string& id, const HeldStream* stream);
  // Routes a completion record: "matched", "duplicate", "late" or "unknown".
  const char* Complete(const CompletionRecord& record);
  // Releases every entry (shutdown).
  void ReleaseAll(const char* reason);
  size_t size() const;

 private:
  struct Entry {
    std::shared_ptr<HeldStream> stream;
    std::list<std::string>::iterator order;
  };
  void Remember(std::unordered_set<std::string>& set, std::list<std::string>& order,
                const std::string& id);

  size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> order_;  // oldest first
  // Recently finished ids, bounded: completed (for duplicates) and expired (for late records).
  std::unordered_set<std::string> completed_, expired_;
  std::list<std::string> completed_order_, expired_order_;
};

}  // namespace eppb
