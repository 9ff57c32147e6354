#include "support/metric_value.h"

#include <sstream>

#include "observe/metrics.h"

namespace testing_support {

double MetricValue(const std::string& series) {
  std::istringstream in(eppb::Metrics::Get().Serialize());
  const std::string prefix = series + " ";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) return std::stod(line.substr(prefix.size()));
  }
  return 0;
}

}  // namespace testing_support
