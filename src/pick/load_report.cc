#include "pick/load_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace eppb {

double LoadReport::Percentile(double p) {
  if (latencies_ms.empty()) return 0;
  if (!std::is_sorted(latencies_ms.begin(), latencies_ms.end())) {
    std::sort(latencies_ms.begin(), latencies_ms.end());
  }
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * latencies_ms.size()));
  rank = std::clamp<size_t>(rank, 1, latencies_ms.size());
  return latencies_ms[rank - 1];
}

std::string LoadReport::Format(size_t concurrency) {
  size_t n = latencies_ms.size();
  return fmt::format(
      "requests: {}  concurrency: {}  duration_s: {:.3f}\n"
      "throughput_rps: {:.1f}\n"
      "latency_ms: p50={:.3f} p90={:.3f} p99={:.3f} max={:.3f}\n"
      "outcomes: picked={} immediate={} error={}\n",
      n, concurrency, seconds, seconds > 0 ? n / seconds : 0.0, Percentile(50), Percentile(90),
      Percentile(99), Percentile(100), picked, immediate, errors);
}

}  // namespace eppb
