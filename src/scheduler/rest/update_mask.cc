#include "src/scheduler/rest/update_mask.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace schedsvc::scheduler {
namespace {

using nlohmann::json;

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

absl::StatusOr<nlohmann::json> ApplyUpdateMask(const json& current, const json& patch,
                                               const std::vector<std::string>& paths) {
  if (!patch.is_object()) return absl::InvalidArgumentError("Invalid JSON payload: expected a Job object.");
  json result = current;
  if (paths.empty()) {
    for (absl::string_view field : TopLevelMutableFields()) {
      auto it = patch.find(std::string(field));
      if (it == patch.end()) continue;
      if (it->is_null()) {
        result.erase(std::string(field));
        continue;
      }
      result[std::string(field)] = WithoutNulls(*it);
      if (absl::string_view other = OtherTarget(field); !other.empty()) result.erase(std::string(other));
    }
    return result;
  }
  if (absl::Status s = CheckUpdatePaths(paths); !s.ok()) return s;
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
