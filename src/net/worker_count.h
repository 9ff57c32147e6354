// How many workers `--threads 0` means: one per CPU the process may use. In a
// container that is fewer than the machine's cores: the CPUs its affinity
// mask allows, and no more than its CPU quota (a Pod's CPU limit) rounded up.
#pragma once

#include <string_view>

namespace eppb {

// At least one: min(CPUs in the affinity mask, the cgroup quota rounded up).
unsigned DefaultWorkerCount();

// CPUs a quota allows, rounded up: cgroup v2's cpu.max ("max 100000", or
// "150000 100000" for 1.5 CPUs); 0 when unlimited or unreadable.
unsigned CpusFromCpuMax(std::string_view cpu_max);
// The same for cgroup v1's cpu.cfs_quota_us and cpu.cfs_period_us (-1: none).
unsigned CpusFromCfs(long long quota_us, long long period_us);

}  // namespace eppb
