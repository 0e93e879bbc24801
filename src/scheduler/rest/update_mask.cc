#include "src/scheduler/rest/update_mask.h"

#include <array>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace schedsvc::scheduler {
namespace {

using nlohmann::json;

constexpr std::array<absl::string_view, 24> kUpdatablePaths = {
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
};
// Listed separately only to keep the array size obvious.
constexpr absl::string_view kOauthScopePath = "httpTarget.oauthToken.scope";

constexpr std::array<absl::string_view, 7> kTopLevelMutable = {
    "description", "schedule", "timeZone", "attemptDeadline", "retryConfig", "pubsubTarget", "httpTarget"};

bool IsUpdatable(absl::string_view path) {
  if (path == kOauthScopePath) return true;
  for (absl::string_view p : kUpdatablePaths) {
    if (p == path) return true;
  }
  return false;
}

bool IsMapPath(absl::string_view path) {
  return path == "pubsubTarget.attributes" || path == "httpTarget.headers";
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

// Returns `value` with null members removed at every depth (null map values mean "delete").
json WithoutNulls(const json& value) {
  if (!value.is_object()) return value;
  json out = json::object();
  for (const auto& item : value.items()) {
    if (item.value().is_null()) continue;
    out[item.key()] = WithoutNulls(item.value());
  }
  return out;
}

const json* Lookup(const json& root, const std::vector<std::string>& segments) {
  const json* node = &root;
  for (const std::string& s : segments) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(s);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

void Erase(json& root, const std::vector<std::string>& segments) {
  json* node = &root;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    if (!node->is_object() || !node->contains(segments[i])) return;
    node = &(*node)[segments[i]];
  }
  if (node->is_object()) node->erase(segments.back());
}

void Set(json& root, const std::vector<std::string>& segments, json value) {
  json* node = &root;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    json& child = (*node)[segments[i]];
    if (!child.is_object()) child = json::object();
    node = &child;
  }
  (*node)[segments.back()] = std::move(value);
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

absl::StatusOr<nlohmann::json> ApplyUpdateMask(const json& current, const json& patch,
                                               const std::vector<std::string>& paths) {
  if (!patch.is_object()) return absl::InvalidArgumentError("Invalid JSON payload: expected a Job object.");
  json result = current;
  if (paths.empty()) {
    for (absl::string_view field : kTopLevelMutable) {
      auto it = patch.find(std::string(field));
      if (it == patch.end()) continue;
      if (it->is_null()) {
        result.erase(std::string(field));
        continue;
      }
      result[std::string(field)] = WithoutNulls(*it);
      if (field == "pubsubTarget") result.erase("httpTarget");
      if (field == "httpTarget") result.erase("pubsubTarget");
    }
    return result;
  }
  for (const std::string& path : paths) {
    if (!IsUpdatable(path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid update_mask path \"", path, "\": not an updatable field of Job."));
    }
  }
  for (const std::string& path : paths) {
    std::vector<std::string> segments = absl::StrSplit(path, '.');
    const json* value = Lookup(patch, segments);
    if (value == nullptr || value->is_null()) {
      Erase(result, segments);
      continue;
    }
    if (IsMapPath(path) && !value->is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("Invalid value at '", path, "': expected a map"));
    }
    Set(result, segments, WithoutNulls(*value));
  }
  return result;
}

}  // namespace schedsvc::scheduler
