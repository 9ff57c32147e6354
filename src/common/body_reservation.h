// One exchange's share of the EppBodyBudget: grows with the buffer it covers
// and is returned in full when it dies.
#pragma once

#include <cstddef>

#include "common/epp_body_budget.h"

namespace eppb {

class BodyReservation {
 public:
  // Without a budget every growth succeeds (and is only counted).
  explicit BodyReservation(EppBodyBudget* budget) : budget_(budget) {}
  ~BodyReservation();
  BodyReservation(const BodyReservation&) = delete;
  BodyReservation& operator=(const BodyReservation&) = delete;

  // Holds at least `bytes` in all, taking the difference from the budget.
  // False, holding what it held before, when the budget cannot give it.
  bool GrowTo(size_t bytes);
  size_t held() const { return held_; }

 private:
  EppBodyBudget* budget_;
  size_t held_ = 0;
};

}  // namespace eppb
