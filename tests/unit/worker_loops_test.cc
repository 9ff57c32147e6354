// The workers' event loops: one thread each, known to the code they run.
#include "net/worker_loops.h"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <future>
#include <set>
#include <thread>
#include <vector>

namespace eppb {
namespace {

TEST(WorkerLoops, EachLoopKnowsItsWorkerAndOthersAreNone) {
  WorkerLoops loops(3);
  ASSERT_EQ(loops.size(), 3u);
  EXPECT_EQ(loops.Current(), -1);  // this thread runs none of them
  std::vector<std::thread> workers;
  for (unsigned i = 0; i < loops.size(); ++i) workers.emplace_back([&, i] { loops.Run(i); });
  for (unsigned i = 0; i < loops.size(); ++i) {
    std::promise<std::pair<int, std::thread::id>> seen;
    boost::asio::post(loops.at(i), [&] {
      seen.set_value({loops.Current(), std::this_thread::get_id()});
    });
    auto [index, thread] = seen.get_future().get();
    EXPECT_EQ(index, static_cast<int>(i));
    EXPECT_EQ(thread, workers[i].get_id());
  }
  EXPECT_FALSE(loops.stopped());
  loops.Stop();
  for (auto& w : workers) w.join();  // idle loops ran until Stop, and stop with it
  EXPECT_TRUE(loops.stopped());
}

TEST(WorkerLoops, NewConnectionsGoRoundRobin) {
  WorkerLoops loops(2);
  std::vector<boost::asio::io_context*> picked;
  for (int i = 0; i < 4; ++i) picked.push_back(&loops.Next());
  EXPECT_EQ(picked[0], picked[2]);
  EXPECT_EQ(picked[1], picked[3]);
  EXPECT_NE(picked[0], picked[1]);
  EXPECT_EQ(std::set<boost::asio::io_context*>(picked.begin(), picked.end()).size(), 2u);
}

TEST(WorkerLoops, AtLeastOneLoop) { EXPECT_EQ(WorkerLoops(0).size(), 1u); }

}  // namespace
}  // namespace eppb
