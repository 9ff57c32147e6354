#include "h2/grpc_timeout.h"

#include <cstdint>

namespace eppb {

std::string FormatGrpcTimeout(std::chrono::milliseconds timeout) {
  constexpr int64_t kMaxDigits = 99'999'999;
  int64_t ms = timeout.count();
  if (ms <= 0) return "0m";
  if (ms <= kMaxDigits) return std::to_string(ms) + "m";
  // Rounded up without overflow (ms may be near the type's maximum).
  auto up = [](int64_t n, int64_t unit) { return n / unit + (n % unit != 0); };
  int64_t s = up(ms, 1000);
  if (s <= kMaxDigits) return std::to_string(s) + "S";
  int64_t m = up(s, 60);
  if (m <= kMaxDigits) return std::to_string(m) + "M";
  int64_t h = up(m, 60);
  return std::to_string(h <= kMaxDigits ? h : kMaxDigits) + "H";
}

std::optional<std::chrono::nanoseconds> ParseGrpcTimeout(std::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  int64_t n = 0;
  for (char c : value.substr(0, value.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  using namespace std::chrono;
  switch (value.back()) {
    case 'H':  // 8 digits of hours overflow int64 nanoseconds: saturate
      if (n > duration_cast<hours>(nanoseconds::max()).count()) return nanoseconds::max();
      return duration_cast<nanoseconds>(hours(n));
    case 'M':
      return duration_cast<nanoseconds>(minutes(n));
    case 'S':
      return duration_cast<nanoseconds>(seconds(n));
    case 'm':
      return duration_cast<nanoseconds>(milliseconds(n));
    case 'u':
      return duration_cast<nanoseconds>(microseconds(n));
    case 'n':
      return nanoseconds(n);
    default:
      return std::nullopt;
  }
}

}  // namespace eppb
