// Thread-safe memory of the last streams the development EPP served.
#pragma once

#include <deque>
#include <mutex>
#include <optional>

#include "devepp/stream_record.h"

namespace eppb {

class Recorder {
 public:
  explicit Recorder(size_t capacity = 256) : capacity_(capacity) {}
  void Add(StreamRecord r);
  std::optional<StreamRecord> Find(const std::string& request_id) const;
  std::optional<StreamRecord> Last() const;
  size_t total() const;

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  std::deque<StreamRecord> records_;
  size_t total_ = 0;
};

}  // namespace eppb
