#include "src/scheduler/json_time.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace schedsvc::scheduler {

std::string FormatJsonDuration(absl::Duration d) {
  const int64_t nanos = absl::ToInt64Nanoseconds(d);
  const int64_t seconds = nanos / 1'000'000'000;
  const int64_t frac = nanos % 1'000'000'000;
  if (frac == 0) return absl::StrCat(seconds, "s");
  std::string digits = absl::StrFormat("%09d", frac < 0 ? -frac : frac);
  // proto3 JSON writes 3, 6 or 9 fractional digits.
  while (digits.size() > 3 && digits.compare(digits.size() - 3, 3, "000") == 0) digits.resize(digits.size() - 3);
  return absl::StrCat(nanos < 0 && seconds == 0 ? "-" : "", seconds, ".", digits, "s");
}

absl::StatusOr<absl::Duration> ParseJsonDuration(absl::string_view text) {
  if (text.size() < 2 || text.back() != 's') {
    return absl::InvalidArgumentError(absl::StrCat("invalid duration \"", text, "\""));
  }
  absl::string_view number = text.substr(0, text.size() - 1);
  double value = 0;
  if (!absl::SimpleAtod(number, &value) || number.find_first_of("eE") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("invalid duration \"", text, "\""));
  }
  // Parse whole and fractional parts separately so "0.000000001s" is exact.
  absl::string_view whole = number;
  absl::string_view frac;
  if (auto dot = number.find('.'); dot != absl::string_view::npos) {
    whole = number.substr(0, dot);
    frac = number.substr(dot + 1);
  }
  const bool negative = absl::StartsWith(whole, "-");
  if (negative) whole.remove_prefix(1);
  int64_t secs = 0;
  if (!whole.empty() && !absl::SimpleAtoi(whole, &secs)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid duration \"", text, "\""));
  }
  if (frac.size() > 9) frac = frac.substr(0, 9);
  int64_t nanos = 0;
  if (!frac.empty()) {
    std::string padded(frac);
    padded.resize(9, '0');
    if (!absl::SimpleAtoi(padded, &nanos)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid duration \"", text, "\""));
    }
  }
  absl::Duration d = absl::Seconds(secs) + absl::Nanoseconds(nanos);
  return negative ? -d : d;
}

std::string FormatJsonTimestamp(absl::Time t) {
  const absl::Duration sub = t - absl::FromUnixSeconds(absl::ToUnixSeconds(t));
  if (sub == absl::ZeroDuration()) return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseJsonTimestamp(absl::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid timestamp \"", text, "\""));
  }
  return t;
}

}  // namespace schedsvc::scheduler
