// `--threads 0`: one worker per two CPUs the process may use (its CPU quota
// included), rounded up.
#include "net/worker_count.h"

#include <gtest/gtest.h>
#include <sched.h>

namespace eppb {
namespace {

TEST(WorkerCount, CgroupV2CpuMaxRoundsTheQuotaUp) {
  EXPECT_EQ(CpusFromCpuMax("max 100000"), 0u);  // unlimited
  EXPECT_EQ(CpusFromCpuMax("100000 100000"), 1u);
  EXPECT_EQ(CpusFromCpuMax("150000 100000"), 2u);
  EXPECT_EQ(CpusFromCpuMax("50000 100000"), 1u);
  EXPECT_EQ(CpusFromCpuMax("400000 100000"), 4u);
  EXPECT_EQ(CpusFromCpuMax(""), 0u);
  EXPECT_EQ(CpusFromCpuMax("garbage"), 0u);
  EXPECT_EQ(CpusFromCpuMax("12x 100000"), 0u);
  EXPECT_EQ(CpusFromCpuMax("100000 0"), 0u);
}

TEST(WorkerCount, CgroupV1CfsQuota) {
  EXPECT_EQ(CpusFromCfs(-1, 100000), 0u);  // no quota
  EXPECT_EQ(CpusFromCfs(250000, 100000), 3u);
  EXPECT_EQ(CpusFromCfs(100000, -1), 0u);
}

TEST(WorkerCount, OnePerTwoCpusRoundedUp) {
  EXPECT_EQ(WorkersForCpus(0), 1u);
  EXPECT_EQ(WorkersForCpus(1), 1u);
  EXPECT_EQ(WorkersForCpus(2), 1u);
  EXPECT_EQ(WorkersForCpus(3), 2u);
  EXPECT_EQ(WorkersForCpus(4), 2u);
  EXPECT_EQ(WorkersForCpus(64), 32u);
}

TEST(WorkerCount, NeverMoreThanTheAffinityMaskAllowsAndAtLeastOne) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  unsigned n = UsableCpus();
  EXPECT_GE(n, 1u);
  EXPECT_LE(n, static_cast<unsigned>(CPU_COUNT(&set)));
}

}  // namespace
}  // namespace eppb
