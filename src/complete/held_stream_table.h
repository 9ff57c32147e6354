// The held streams, keyed by the hold key, with a cap. The table belongs to
// its own strand: Hold, Remove and ReleaseAll may be called from any thread
// and make one post to it; Complete runs on it (the completion listener's
// socket lives on the same strand). It reaches an exchange only through
// HeldStream, which posts to the exchange's strand in turn. No lock.
// When full, the oldest entry is released: a full table most likely holds
// streams whose completion records were lost.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "complete/held_stream.h"

namespace eppb {

class Metrics;

class HeldStreamTable {
 public:
  HeldStreamTable(boost::asio::any_io_executor strand, size_t capacity, Metrics& metrics);

  // The table's strand.
  const boost::asio::any_io_executor& strand() const { return strand_; }
  // What the table and its completion socket count in.
  Metrics& metrics() const { return metrics_; }

  // Any thread (posts). Holds `stream` under `key`. Releases an entry already
  // under the same key ("replaced") or the oldest one when full ("capacity").
  void Hold(std::string key, std::shared_ptr<HeldStream> stream);
  // Any thread (posts). Removes `key` if it still maps to `stream` (TTL
  // expiry, EPP closed), remembering it so that a late record is told apart
  // from an unknown one. `stream` is compared, never called.
  void Remove(std::string key, const HeldStream* stream);
  // Any thread (posts). Releases every entry (shutdown).
  void ReleaseAll(const char* reason);

  // The table's strand. Routes a completion record: "matched", "duplicate",
  // "late" or "unknown".
  const char* Complete(const CompletionRecord& record);

  // Any thread: the number of entries as of the table's last change.
  size_t size() const { return size_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::shared_ptr<HeldStream> stream;
    std::list<std::string>::iterator order;
  };
  void DoHold(std::string key, std::shared_ptr<HeldStream> stream);
  void DoRemove(const std::string& key, const HeldStream* stream);
  void DoReleaseAll(const char* reason);
  void Erase(std::unordered_map<std::string, Entry>::iterator it);
  void Published();  // size_ and the gauge follow entries_
  static void Remember(std::unordered_set<std::string>& set, std::list<std::string>& order,
                       const std::string& key);

  boost::asio::any_io_executor strand_;
  const size_t capacity_;
  Metrics& metrics_;
  std::atomic<size_t> size_{0};  // written on the strand only
  // All of the following: the strand's.
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> order_;  // oldest first
  // Recently finished keys, bounded: completed (for duplicates) and expired (for late records).
  std::unordered_set<std::string> completed_, expired_;
  std::list<std::string> completed_order_, expired_order_;
};

}  // namespace eppb
