#include "net/worker_loops.h"

#include <algorithm>

namespace eppb {

namespace {
// The loops the calling thread is a worker of, and which one it runs.
thread_local const WorkerLoops* current_loops = nullptr;
thread_local int current_index = -1;
}  // namespace

WorkerLoops::WorkerLoops(unsigned count) {
  count = std::max(1u, count);
  loops_.reserve(count);
  idle_.reserve(count);
  for (unsigned i = 0; i < count; ++i) {
    // One thread runs each loop: what a loop posts to itself is queued
    // without a lock.
    loops_.push_back(std::make_unique<boost::asio::io_context>(1));
    idle_.push_back(boost::asio::make_work_guard(*loops_.back()));
  }
}

boost::asio::io_context& WorkerLoops::Next() {
  return *loops_[next_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
}

int WorkerLoops::Current() const { return current_loops == this ? current_index : -1; }

boost::asio::io_context* WorkerLoops::CurrentLoop() {
  return current_loops ? current_loops->loops_[current_index].get() : nullptr;
}

void WorkerLoops::Run(unsigned i) {
  current_loops = this;
  current_index = static_cast<int>(i);
  loops_[i]->run();
}

void WorkerLoops::Stop() {
  for (auto& loop : loops_) loop->stop();
}

bool WorkerLoops::stopped() const {
  return std::all_of(loops_.begin(), loops_.end(), [](const auto& l) { return l->stopped(); });
}

}  // namespace eppb
