#include "devepp/picker.h"

#include <algorithm>

namespace eppb {

Picker::Picker(std::vector<Endpoint> endpoints, PickPolicy policy)
    : endpoints_(std::move(endpoints)),
      policy_(policy),
      inflight_(new std::atomic<int>[endpoints_.size()]) {
  for (size_t i = 0; i < endpoints_.size(); ++i) inflight_[i] = 0;
}

Picker::Lease::Lease(Picker* picker, size_t index) : picker_(picker), index_(index) {
  picker_->inflight_[index_].fetch_add(1);
}

Picker::Lease::~Lease() { picker_->inflight_[index_].fetch_sub(1); }

std::vector<Endpoint> Picker::Rank(const std::vector<SubsetToken>& subset) {
  std::vector<size_t> allowed;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    bool ok = subset.empty() || std::any_of(subset.begin(), subset.end(), [&](const auto& t) {
                return t.Matches(endpoints_[i]);
              });
    if (ok) allowed.push_back(i);
  }
  if (allowed.empty()) return {};
  size_t start = next_.fetch_add(1) % allowed.size();
  size_t best = start;
  if (policy_ == PickPolicy::kLeastInFlight) {
    for (size_t k = 0; k < allowed.size(); ++k) {
      size_t cand = (start + k) % allowed.size();
      if (inflight_[allowed[cand]].load() < inflight_[allowed[best]].load()) best = cand;
    }
  }
  std::vector<Endpoint> out;
  for (size_t k = 0; k < allowed.size(); ++k) {
    out.push_back(endpoints_[allowed[(best + k) % allowed.size()]]);
  }
  return out;
}

std::unique_ptr<Picker::Lease> Picker::Acquire(const Endpoint& e) {
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (endpoints_[i] == e) return std::make_unique<Lease>(this, i);
  }
  return nullptr;
}

std::vector<int> Picker::InFlight() const {
  std::vector<int> out;
  for (size_t i = 0; i < endpoints_.size(); ++i) out.push_back(inflight_[i].load());
  return out;
}

}  // namespace eppb
