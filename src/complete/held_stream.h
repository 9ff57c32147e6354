// A stream held open after the decision, until NGINX reports the response
// complete. Implemented by Exchange: each call makes one post to the
// exchange's loop and returns, so a table never runs an exchange's code
// inside its own.
#pragma once

#include <string>

#include "complete/completion_record.h"

namespace eppb {

class HeldStream {
 public:
  virtual ~HeldStream() = default;
  // NGINX finished the response: run the response phase, then close.
  virtual void Complete(const CompletionRecord& record) = 0;
  // The table let go (capacity, replaced, shutdown): close gracefully.
  // `reason` must be a string literal.
  virtual void Release(const char* reason) = 0;
};

}  // namespace eppb
