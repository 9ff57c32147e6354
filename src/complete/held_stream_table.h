// One worker loop's held streams, keyed by the hold key, with a cap. Each
// worker loop has its own table (HeldStreams), so an exchange holds its
// stream and removes it on its own loop, with no post and no lock. Hold,
// Remove and ReleaseAll may also be called from another thread; they then
// make one post to the table's loop. Complete runs on the table's loop.
// It reaches an exchange only through HeldStream, which posts to the
// exchange's loop in turn.
//
// A completion record is tried on the first loop's table, where the
// completion socket is read. A table that has never seen its key passes it
// to the next loop's table (one post); the last one counts it "unknown".
// When full, a table releases its oldest entry: a full table most likely
// holds streams whose completion records were lost.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
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
  using Executor = boost::asio::io_context::executor_type;
  // `next`: the table a record this one has never seen is passed to, on its
  // own loop; null for the last table. `remembered`: how many completed and
  // how many expired keys it keeps, to tell duplicate and late records.
  HeldStreamTable(Executor loop, size_t capacity, Metrics& metrics, HeldStreamTable* next = nullptr,
                  size_t remembered = kRemembered);
  static constexpr size_t kRemembered = 8192;
  // Takes its entries back out of the gauge (its loop has stopped).
  ~HeldStreamTable();
  HeldStreamTable(const HeldStreamTable&) = delete;
  HeldStreamTable& operator=(const HeldStreamTable&) = delete;

  // The table's loop.
  const Executor& loop() const { return loop_; }
  // What the table and its completion socket count in.
  Metrics& metrics() const { return metrics_; }

  // Holds `stream` under `key`. Releases an entry already under the same key
  // ("replaced") or the oldest one when full ("capacity"). On the table's
  // loop at once; from another thread, one post.
  void Hold(std::string key, std::shared_ptr<HeldStream> stream);
  // Removes `key` if it still maps to `stream` (TTL expiry, EPP closed),
  // remembering it so that a late record is told apart from an unknown one.
  // `stream` is compared, never called. On the loop at once, else one post.
  void Remove(std::string key, const HeldStream* stream);
  // Any thread (posts). Releases every entry (shutdown).
  void ReleaseAll(const char* reason);

  // The table's loop. Routes a completion record: "matched", "duplicate" or
  // "late" when this table knows its key; "passed" when it went on to the
  // next table; "unknown" from the last one. Each record is counted once,
  // by the table that decides it.
  const char* Complete(const CompletionRecord& record);

  // Any thread: the number of entries as of the table's last change.
  size_t size() const { return size_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::shared_ptr<HeldStream> stream;
    std::list<std::string>::iterator order;
  };
  template <class Work>
  void OnLoop(Work&& work);
  void DoHold(std::string key, std::shared_ptr<HeldStream> stream);
  void DoRemove(const std::string& key, const HeldStream* stream);
  void DoReleaseAll(const char* reason);
  void Erase(std::unordered_map<std::string, Entry>::iterator it);
  void Published();  // size_ and the gauge follow entries_
  void Remember(std::unordered_set<std::string>& set, std::list<std::string>& order,
                const std::string& key) const;

  Executor loop_;
  const size_t capacity_;
  const size_t remembered_;
  Metrics& metrics_;
  HeldStreamTable* const next_;
  std::atomic<size_t> size_{0};  // written on the loop only
  // All of the following: the loop's.
  size_t published_ = 0;  // what this table has added to the gauge
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> order_;  // oldest first
  // Recently finished keys, bounded: completed (for duplicates) and expired (for late records).
  std::unordered_set<std::string> completed_, expired_;
  std::list<std::string> completed_order_, expired_order_;
};

}  // namespace eppb
