// Latency percentiles and throughput of a load run.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace eppb {

struct LoadReport {
  std::vector<double> latencies_ms;
  size_t picked = 0, immediate = 0, errors = 0;
  double seconds = 0;

  // Nearest-rank percentile, p in [0, 100]; sorts latencies on first use.
  double Percentile(double p);
  std::string Format(size_t concurrency);
};

}  // namespace eppb
