// How many workers `--threads 0` means, for serve and for pick (which runs
// the bridge's exchange path without HTTP, and so as many loops). It starts
// from the CPUs the process may use: in a container, fewer than the
// machine's cores (the CPUs its affinity mask allows, and no more than its
// CPU quota, a Pod's CPU limit, rounded up). Then one worker per two of
// them, rounded up: beside the bridge, NGINX runs a worker per CPU and costs
// more per request than the bridge does, and each worker loop waits and
// wakes for its own connections, so a loop more costs the bridge more
// wake-ups than it brings while NGINX holds the other CPUs
// (docs/benchmarks.md).
#pragma once

#include <string_view>

namespace eppb {

// WorkersForCpus(UsableCpus()).
unsigned DefaultWorkerCount();
// At least one: min(CPUs in the affinity mask, the cgroup quota rounded up).
unsigned UsableCpus();
// The workers for `cpus` usable CPUs: ceil(cpus / 2), at least one.
unsigned WorkersForCpus(unsigned cpus);
// CPUs a quota allows, rounded up: cgroup v2's cpu.max ("max 100000", or
// "150000 100000" for 1.5 CPUs); 0 when unlimited or unreadable.
unsigned CpusFromCpuMax(std::string_view cpu_max);
// The same for cgroup v1's cpu.cfs_quota_us and cpu.cfs_period_us (-1: none).
unsigned CpusFromCfs(long long quota_us, long long period_us);

}  // namespace eppb
