#include "h2/h2_target_state.h"

#include <spdlog/spdlog.h>

#include "observe/logging.h"
#include "observe/metrics.h"

namespace eppb {

const char* H2TargetState::Name(Pool state) {
  switch (state) {
    case Pool::kIdle:
      return "idle";
    case Pool::kConnecting:
      return "connecting";
    case Pool::kReady:
      return "ready";
    case Pool::kTransientFailure:
      return "transient_failure";
    case Pool::kShutdown:
      return "shutdown";
  }
  return "idle";
}

H2TargetState::Pool H2TargetState::Fold(uint64_t counts) {
  constexpr uint64_t kMask = (uint64_t{1} << kBits) - 1;
  for (Pool p : {Pool::kReady, Pool::kConnecting, Pool::kTransientFailure, Pool::kIdle}) {
    if ((counts >> (kBits * static_cast<int>(p))) & kMask) return p;
  }
  return counts == 0 ? Pool::kIdle : Pool::kShutdown;
}

void H2TargetState::Join() {
  counts_.fetch_add(Unit(Pool::kIdle));
  Export();
}

void H2TargetState::Move(Pool from, Pool to) {
  if (from == to) return;
  // One count moves: `from` has this pool in it, so no field borrows.
  uint64_t before = counts_.fetch_add(Unit(to) - Unit(from));
  uint64_t after = before + Unit(to) - Unit(from);
  Pool was = Fold(before);
  Pool now = Fold(after);
  if (was == now) return;
  if (now == Pool::kReady) {
    if (was_ready_.exchange(true)) {
      if (!retired()) Metrics::Get().CountReconnect(key_);
      LogEvent(spdlog::level::info, "epp-channel-ready-again", {{"epp", key_}});
    }
  } else if (was == Pool::kReady && now == Pool::kTransientFailure) {
    LogEvent(spdlog::level::warn, "epp-channel-lost", {{"epp", key_}});
  } else if (was == Pool::kReady) {
    LogEvent(spdlog::level::info, "epp-channel-state", {{"epp", key_}, {"state", Name(now)}});
  }
  Export();
}

void H2TargetState::Export() {
  uint64_t seen = counts_.load();
  while (!retired()) {
    Pool state = Fold(seen);
    if (state == Pool::kShutdown) return;  // closing: the series keeps its last state
    Metrics::Get().SetChannelState(key_, Name(state));
    uint64_t again = counts_.load();
    if (Fold(again) == state) return;
    seen = again;
  }
}

}  // namespace eppb
