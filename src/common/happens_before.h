// Happens-before edges that a library provides but ThreadSanitizer cannot
// see. gRPC orders the reactions of one RPC (an operation's start before its
// completion callback, every callback before OnDone) through its completion
// queues, inside libraries built without TSan; without these edges TSan
// reports our own accesses in reactions as races, or they would have to be
// hidden by suppressions that also hide real races.
//
// HappensBefore(p) publishes everything this thread did so far; a later
// HappensAfter(p) on another thread sees it. Only TSan builds do anything
// (EPP_BRIDGE_TSAN, set by CMake); elsewhere both are empty.
#pragma once

#if defined(EPP_BRIDGE_TSAN)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace eppb {

inline void HappensBefore(const void* p) {
#if defined(EPP_BRIDGE_TSAN)
  __tsan_release(const_cast<void*>(p));
#else
  (void)p;
#endif
}

inline void HappensAfter(const void* p) {
#if defined(EPP_BRIDGE_TSAN)
  __tsan_acquire(const_cast<void*>(p));
#else
  (void)p;
#endif
}

// One gRPC reaction: it sees what came before it (the operation's start,
// earlier reactions) and publishes what it did to what comes after.
class Reaction {
 public:
  explicit Reaction(const void* rpc) : rpc_(rpc) { HappensAfter(rpc_); }
  ~Reaction() { HappensBefore(rpc_); }
  Reaction(const Reaction&) = delete;
  Reaction& operator=(const Reaction&) = delete;

 private:
  const void* rpc_;
};

}  // namespace eppb
