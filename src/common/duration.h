// Durations in config files and flags: "30s", "6m", "1h30m", "250ms" (Go/abseil syntax) and a bare
// number of seconds. The one parser every config reader uses.
#ifndef SCHEDSVC_COMMON_DURATION_H_
#define SCHEDSVC_COMMON_DURATION_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace schedsvc {

// Returns the duration `text` denotes. kInvalidArgument names the text when it is not a duration or is
// negative.
absl::StatusOr<absl::Duration> ParseDurationText(absl::string_view text);

// Returns a short human form: "18m30s", "600s" -> "10m", "250ms".
std::string FormatDurationText(absl::Duration d);

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_DURATION_H_
