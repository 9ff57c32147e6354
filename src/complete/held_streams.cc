#include "complete/held_streams.h"

#include <algorithm>

namespace eppb {

HeldStreams::HeldStreams(WorkerLoops& loops, size_t capacity, Metrics& metrics) : loops_(loops) {
  const size_t n = loops.size();
  const size_t each = std::max<size_t>(1, (capacity + n - 1) / n);
  // The keys remembered for duplicate and late records are shared out too.
  const size_t remembered = std::max<size_t>(256, HeldStreamTable::kRemembered / n);
  tables_.resize(n);
  // Built from the last, so that each table knows the next one.
  for (size_t i = n; i-- > 0;) {
    HeldStreamTable* next = i + 1 < n ? tables_[i + 1].get() : nullptr;
    tables_[i] = std::make_unique<HeldStreamTable>(
        loops.at(static_cast<unsigned>(i)).get_executor(), each, metrics, next, remembered);
  }
}

HeldStreamTable* HeldStreams::Here() {
  int current = loops_.Current();
  return tables_[current < 0 ? 0 : static_cast<size_t>(current)].get();
}

void HeldStreams::ReleaseAll(const char* reason) {
  for (auto& t : tables_) t->ReleaseAll(reason);
}

size_t HeldStreams::size() const {
  size_t n = 0;
  for (const auto& t : tables_) n += t->size();
  return n;
}

}  // namespace eppb
