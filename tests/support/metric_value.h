// The value of one series of the process's metrics, as /metrics shows it.
#pragma once

#include <string>

namespace testing_support {

// `series` is the name with its labels as serialised, e.g.
// epp_bridge_held_stream_ends_total{reason="ttl"}; 0 when it has no value yet.
double MetricValue(const std::string& series);

}  // namespace testing_support
