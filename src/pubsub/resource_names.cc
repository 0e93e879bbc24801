#include "src/pubsub/resource_names.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace schedsvc::pubsub {
namespace {

constexpr std::size_t kMinIdLength = 3;
constexpr std::size_t kMaxIdLength = 255;

bool IsIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '~' || c == '+' || c == '%';
}

absl::StatusOr<ParsedName> ParseName(absl::string_view name, absl::string_view collection,
                                     absl::string_view what) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "projects" || parts[2] != collection) {
    return absl::InvalidArgumentError(absl::StrCat("'", name, "' is not a ", what, " name (expected projects/PROJECT/",
                                                   collection, "/ID)"));
  }
  if (auto s = ValidateProjectId(parts[1]); !s.ok()) return s;
  if (auto s = ValidateResourceId(parts[3], what); !s.ok()) return s;
  return ParsedName{std::string(parts[1]), std::string(parts[3])};
}

}  // namespace

absl::Status ValidateResourceId(absl::string_view id, absl::string_view what) {
  if (id.size() < kMinIdLength || id.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(absl::StrCat(what, " id '", id, "' must be 3 to 255 characters long"));
  }
  if (!absl::ascii_isalpha(static_cast<unsigned char>(id[0]))) {
    return absl::InvalidArgumentError(absl::StrCat(what, " id '", id, "' must start with a letter"));
  }
  if (absl::StartsWithIgnoreCase(id, "goog")) {
    return absl::InvalidArgumentError(absl::StrCat(what, " id '", id, "' must not start with \"goog\""));
  }
  for (char c : id) {
    if (!IsIdChar(c)) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " id '", id, "' may contain only letters, digits and - _ . ~ + % (found '", std::string(1, c), "')"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateProjectId(absl::string_view project) {
  if (project.empty()) return absl::InvalidArgumentError("project id is empty");
  if (absl::StrContains(project, '/')) {
    return absl::InvalidArgumentError(absl::StrCat("project id '", project, "' must not contain '/'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> MakeTopicName(absl::string_view project, absl::string_view id) {
  if (auto s = ValidateProjectId(project); !s.ok()) return s;
  if (auto s = ValidateResourceId(id, "topic"); !s.ok()) return s;
  return absl::StrCat("projects/", project, "/topics/", id);
}

absl::StatusOr<std::string> MakeSubscriptionName(absl::string_view project, absl::string_view id) {
  if (auto s = ValidateProjectId(project); !s.ok()) return s;
  if (auto s = ValidateResourceId(id, "subscription"); !s.ok()) return s;
  return absl::StrCat("projects/", project, "/subscriptions/", id);
}

absl::StatusOr<ParsedName> ParseTopicName(absl::string_view name) {
  return ParseName(name, "topics", "topic");
}

absl::StatusOr<ParsedName> ParseSubscriptionName(absl::string_view name) {
  return ParseName(name, "subscriptions", "subscription");
}

absl::StatusOr<std::string> ResolveTopicName(absl::string_view name_or_id,
                                             absl::string_view default_project) {
  if (absl::StrContains(name_or_id, '/')) {
    auto parsed = ParseTopicName(name_or_id);
    if (!parsed.ok()) return parsed.status();
    return std::string(name_or_id);
  }
  if (default_project.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("topic '", name_or_id, "' is an id: give a full name or set the project"));
  }
  return MakeTopicName(default_project, name_or_id);
}

absl::StatusOr<std::string> ResolveSubscriptionName(absl::string_view name_or_id,
                                                    absl::string_view default_project) {
  if (absl::StrContains(name_or_id, '/')) {
    auto parsed = ParseSubscriptionName(name_or_id);
    if (!parsed.ok()) return parsed.status();
    return std::string(name_or_id);
  }
  if (default_project.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("subscription '", name_or_id, "' is an id: give a full name or set the project"));
  }
  return MakeSubscriptionName(default_project, name_or_id);
}

}  // namespace schedsvc::pubsub
