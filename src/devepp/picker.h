// Endpoint selection for the development EPP: round-robin or least
// in-flight, where a request is in flight while its ext_proc stream is open.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "common/endpoint.h"

namespace eppb {

enum class PickPolicy { kRoundRobin, kLeastInFlight };

class Picker {
 public:
  Picker(std::vector<Endpoint> endpoints, PickPolicy policy);

  // Counts one request against an endpoint of the pool until destroyed.
  class Lease {
   public:
    Lease(Picker* picker, size_t index);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

   private:
    Picker* picker_;
    size_t index_;
  };

  // Candidates allowed by the subset (all when empty), best first: the
  // policy's choice, then the others in pool order as fallbacks.
  std::vector<Endpoint> Rank(const std::vector<SubsetToken>& subset);
  // A lease on `e` when it belongs to the pool, else nullptr.
  std::unique_ptr<Lease> Acquire(const Endpoint& e);
  std::vector<int> InFlight() const;
  const std::vector<Endpoint>& endpoints() const { return endpoints_; }

 private:
  std::vector<Endpoint> endpoints_;
  PickPolicy policy_;
  std::unique_ptr<std::atomic<int>[]> inflight_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace eppb
