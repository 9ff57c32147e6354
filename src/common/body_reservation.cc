#include "common/body_reservation.h"

namespace eppb {

BodyReservation::~BodyReservation() {
  if (budget_ != nullptr && held_ > 0) budget_->Release(held_);
}

bool BodyReservation::GrowTo(size_t bytes) {
  if (bytes <= held_) return true;
  if (budget_ != nullptr && !budget_->TryReserve(bytes - held_)) return false;
  held_ = bytes;
  return true;
}

}  // namespace eppb
