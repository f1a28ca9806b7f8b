#include "core/timestamp.h"

#include <cstdio>
#include <ctime>

namespace rdpscope {

std::string formatEpoch(Timestamp ts) {
  const std::int64_t usec_total = ts.ns / 1000;
  const std::int64_t sec = usec_total / 1'000'000;
  const std::int64_t usec = usec_total % 1'000'000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(sec),
                static_cast<long long>(usec < 0 ? -usec : usec));
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
