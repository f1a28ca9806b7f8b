#include "core/timestamp.h"

#include <cstdio>
#include <ctime>

namespace rdpscope {

std::string formatEpoch(Timestamp ts) {
  // The sign is that of the whole value: -0.5 s is "-0.500000" (whole seconds 0 have no sign).
  const std::int64_t usec_total = ts.ns / 1000;
  const auto mag = static_cast<unsigned long long>(usec_total < 0 ? -usec_total : usec_total);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%llu.%06llu", usec_total < 0 ? "-" : "", mag / 1'000'000ULL,
                mag % 1'000'000ULL);
  return buf;
}

std::string formatUtc(Timestamp ts) {
  const std::int64_t usec_total = ts.ns / 1000;
  const std::time_t sec = static_cast<std::time_t>(usec_total / 1'000'000);
  const auto usec = static_cast<long long>(usec_total % 1'000'000);
  std::tm tm{};
  gmtime_r(&sec, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s.%06lld UTC", date, usec);
  return buf;
}

}  // namespace rdpscope
