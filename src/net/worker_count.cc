#include "net/worker_count.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace eppb {

namespace {

std::string ReadFirstLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

long long ReadNumber(const char* path) {
  std::string line = ReadFirstLine(path);
  long long v = 0;
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
  return ec == std::errc() && end != line.data() ? v : -1;
}

unsigned QuotaCpus() {
  if (unsigned n = CpusFromCpuMax(ReadFirstLine("/sys/fs/cgroup/cpu.max"))) return n;
  return CpusFromCfs(ReadNumber("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
                     ReadNumber("/sys/fs/cgroup/cpu/cpu.cfs_period_us"));
}

unsigned AffinityCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
  return static_cast<unsigned>(CPU_COUNT(&set));
}

}  // namespace

unsigned CpusFromCfs(long long quota_us, long long period_us) {
  if (quota_us <= 0 || period_us <= 0) return 0;
  return static_cast<unsigned>((quota_us + period_us - 1) / period_us);
}

unsigned CpusFromCpuMax(std::string_view cpu_max) {
  auto space = cpu_max.find(' ');
  if (space == std::string_view::npos) return 0;
  auto quota = cpu_max.substr(0, space);
  auto period = cpu_max.substr(space + 1);
  long long q = 0, p = 0;
  auto [qe, qc] = std::from_chars(quota.data(), quota.data() + quota.size(), q);
  auto [pe, pc] = std::from_chars(period.data(), period.data() + period.size(), p);
  if (qc != std::errc() || pc != std::errc() || qe != quota.data() + quota.size() ||
      pe != period.data() + period.size()) {
    return 0;
  }
  return CpusFromCfs(q, p);  // "max" does not parse: unlimited
}

unsigned WorkersForCpus(unsigned cpus) { return std::max(1u, (cpus + 1) / 2); }

unsigned UsableCpus() {
  unsigned n = AffinityCpus();
  if (n == 0) n = std::thread::hardware_concurrency();
  if (unsigned quota = QuotaCpus(); quota > 0) n = std::min(n, quota);
  return std::max(1u, n);
}

unsigned DefaultWorkerCount() { return WorkersForCpus(UsableCpus()); }

}  // namespace eppb
