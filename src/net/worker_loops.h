// The event loops of the workers: one io_context per worker thread, each run
// by that thread alone, as Envoy's and NGINX's workers are. A connection from
// NGINX, its exchange and the HTTP/2 connection that carries the exchange's
// stream to the EPP all live on one loop; another thread reaches them only
// by posting to that loop.
//
// Threads: at(), size() and Next() from any thread; Run(i) on the thread that
// is worker i; Stop() from any thread, once or more.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

namespace eppb {

class WorkerLoops {
 public:
  // `count` loops (at least one), each kept running while idle until Stop().
  explicit WorkerLoops(unsigned count);
  WorkerLoops(const WorkerLoops&) = delete;
  WorkerLoops& operator=(const WorkerLoops&) = delete;

  unsigned size() const { return static_cast<unsigned>(loops_.size()); }
  boost::asio::io_context& at(unsigned i) { return *loops_[i]; }
  // The loop a new connection goes to: round robin over the workers.
  boost::asio::io_context& Next();
  // The index of the loop the calling thread runs, or -1 on any other thread
  // (a caller that is not a worker of these loops).
  int Current() const;
  // The loop the calling thread runs, of any WorkerLoops; nullptr off them.
  static boost::asio::io_context* CurrentLoop();

  // Runs loop i on the calling thread until Stop(); the thread is worker i
  // for Current() from here on. Returns at once once stopped. Exceptions a
  // handler lets escape leave through here (the caller runs it again).
  void Run(unsigned i);
  void Stop();
  bool stopped() const;  // every loop has been stopped

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> loops_;
  std::vector<Guard> idle_;  // keeps a loop with nothing to do running
  std::atomic<unsigned> next_{0};
};

}  // namespace eppb
