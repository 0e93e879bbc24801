#include "src/common/duration.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace schedsvc {

absl::StatusOr<absl::Duration> ParseDurationText(absl::string_view text) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  absl::Duration d;
  double seconds = 0;
  if (absl::SimpleAtod(trimmed, &seconds) && std::isfinite(seconds)) {
    d = absl::Seconds(seconds);
  } else if (trimmed.empty() || !absl::ParseDuration(trimmed, &d) || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a duration (use e.g. 250ms, 30s, 6m, 1h30m)"));
  }
  if (d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is negative"));
  }
  return d;
}

std::string FormatDurationText(absl::Duration d) { return absl::FormatDuration(d); }

}  // namespace schedsvc
