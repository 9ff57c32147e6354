// The process-wide budget for EPP body replies that exchanges buffer (a
// rewritten body being collected). Shared by every exchange through
// ExchangeConfig; lock-free: one atomic counter. Reservations are taken and
// returned by BodyReservation.
#pragma once

#include <atomic>
#include <cstddef>

namespace eppb {

class EppBodyBudget {
 public:
  // Sized so that the Helm chart's 256 MiB memory limit holds.
  static constexpr size_t kDefaultBytes = 128u << 20;

  explicit EppBodyBudget(size_t limit) : limit_(limit) {}
  EppBodyBudget(const EppBodyBudget&) = delete;
  EppBodyBudget& operator=(const EppBodyBudget&) = delete;

  // Takes `bytes` when they fit under the limit; otherwise takes nothing.
  bool TryReserve(size_t bytes);
  void Release(size_t bytes);

  size_t used() const { return used_.load(std::memory_order_relaxed); }
  size_t limit() const { return limit_; }

 private:
  const size_t limit_;
  std::atomic<size_t> used_{0};
};

}  // namespace eppb
