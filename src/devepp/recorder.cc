#include "devepp/recorder.h"

namespace eppb {

void Recorder::Add(StreamRecord r) {
  std::lock_guard lock(mu_);
  records_.push_back(std::move(r));
  if (records_.size() > capacity_) records_.pop_front();
  ++total_;
}

std::optional<StreamRecord> Recorder::Find(const std::string& id) const {
  std::lock_guard lock(mu_);
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    if (it->request_id == id) return *it;
  }
  return std::nullopt;
}

std::optional<StreamRecord> Recorder::Last() const {
  std::lock_guard lock(mu_);
  if (records_.empty()) return std::nullopt;
  return records_.back();
}

size_t Recorder::total() const {
  std::lock_guard lock(mu_);
  return total_;
}

}  // namespace eppb
