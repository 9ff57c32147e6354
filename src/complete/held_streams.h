// The held streams of a bridge with a completion socket: one
// HeldStreamTable per worker loop, chained in loop order for the records
// (see held_stream_table.h). The cap is shared out evenly: each loop's table
// holds up to ceil(capacity / loops) streams, and remembers
// HeldStreamTable::kRemembered / loops finished keys (at least 256).
//
// Threads: Here(), first(), size() and ReleaseAll() from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "complete/held_stream_table.h"
#include "net/worker_loops.h"

namespace eppb {

class HeldStreams {
 public:
  HeldStreams(WorkerLoops& loops, size_t capacity, Metrics& metrics);

  // The calling worker loop's table: where an exchange on that loop holds
  // its stream. The first loop's from any other thread.
  HeldStreamTable* Here();
  // The first loop's table: where the completion socket is read.
  HeldStreamTable* first() { return tables_.front().get(); }
  // Releases every table's entries (each table on its loop).
  void ReleaseAll(const char* reason);
  // The number of entries over all tables, as of their last changes.
  size_t size() const;

 private:
  WorkerLoops& loops_;
  std::vector<std::unique_ptr<HeldStreamTable>> tables_;  // one per loop, in loop order
};

}  // namespace eppb
