#include "src/scheduler/update_mask_rules.h"

#include <array>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace schedsvc::scheduler {
namespace {

constexpr absl::string_view kPubsubTarget = "pubsubTarget";
constexpr absl::string_view kHttpTarget = "httpTarget";

constexpr std::array<absl::string_view, 25> kUpdatablePaths = {
    "description",
    "schedule",
    "timeZone",
    "attemptDeadline",
    "retryConfig",
    "retryConfig.retryCount",
    "retryConfig.maxRetryDuration",
    "retryConfig.minBackoffDuration",
    "retryConfig.maxBackoffDuration",
    "retryConfig.maxDoublings",
    "pubsubTarget",
    "pubsubTarget.topicName",
    "pubsubTarget.data",
    "pubsubTarget.attributes",
    "httpTarget",
    "httpTarget.uri",
    "httpTarget.httpMethod",
    "httpTarget.headers",
    "httpTarget.body",
    "httpTarget.oidcToken",
    "httpTarget.oidcToken.serviceAccountEmail",
    "httpTarget.oidcToken.audience",
    "httpTarget.oauthToken",
    "httpTarget.oauthToken.serviceAccountEmail",
    "httpTarget.oauthToken.scope",
};

constexpr std::array<absl::string_view, 7> kTopLevelMutable = {
    "description", "schedule", "timeZone", "attemptDeadline", "retryConfig", kPubsubTarget, kHttpTarget};

bool IsUpdatable(absl::string_view path) {
  for (absl::string_view p : kUpdatablePaths) {
    if (p == path) return true;
  }
  return false;
}

std::string SnakeToCamel(absl::string_view segment) {
  std::string out;
  bool upper = false;
  for (char c : segment) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    upper = false;
  }
  return out;
}

}  // namespace

std::vector<std::string> ParseUpdateMask(absl::string_view mask) {
  std::vector<std::string> paths;
  for (absl::string_view path : absl::StrSplit(mask, ',', absl::SkipWhitespace())) {
    std::vector<std::string> segments;
    for (absl::string_view seg : absl::StrSplit(path, '.')) segments.push_back(SnakeToCamel(seg));
    paths.push_back(absl::StrJoin(segments, "."));
  }
  return paths;
}

absl::Status CheckUpdatePaths(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    if (!IsUpdatable(path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid update_mask path \"", path, "\": not an updatable field of Job."));
    }
  }
  return absl::OkStatus();
}

bool IsMapPath(absl::string_view path) {
  return path == "pubsubTarget.attributes" || path == "httpTarget.headers";
}

absl::Span<const absl::string_view> TopLevelMutableFields() { return kTopLevelMutable; }

absl::string_view OtherTarget(absl::string_view field) {
  if (field == kPubsubTarget) return kHttpTarget;
  if (field == kHttpTarget) return kPubsubTarget;
  return {};
}

}  // namespace schedsvc::scheduler
