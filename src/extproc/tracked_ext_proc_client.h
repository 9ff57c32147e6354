// An ExtProcClient that knows its live streams, so that shutdown can cancel
// them and wait for them to end: what `serve` and `pick` hold, whichever
// transport (--epp-transport) they use.
#pragma once

#include <chrono>
#include <cstddef>

#include "extproc/ext_proc_stream.h"

namespace eppb {

class TrackedExtProcClient : public ExtProcClient {
 public:
  // Cancels every live stream (even half-closed ones the EPP keeps open).
  virtual void CancelAll() = 0;
  // CancelAll, then waits up to `timeout` for the streams to end. True when
  // none is left.
  virtual bool CancelAllAndWait(std::chrono::milliseconds timeout) = 0;
  virtual size_t live_streams() const = 0;
  // EPP targets with a channel or connection pool now.
  virtual size_t targets() const = 0;

 protected:
  // For the transports' destructors: CancelAllAndWait a bounded time, and a
  // warning naming the streams still open after it.
  void CancelWhatIsLeft();
};

}  // namespace eppb
