// Pub/Sub resource names: "projects/P/topics/T" and "projects/P/subscriptions/S", with the id rules the
// service enforces (3-255 chars, starts with a letter, letters/digits/-_.~+%, not starting with "goog").
#ifndef SCHEDSVC_PUBSUB_RESOURCE_NAMES_H_
#define SCHEDSVC_PUBSUB_RESOURCE_NAMES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace schedsvc::pubsub {

// Returns OK if `id` is a valid topic or subscription id, else kInvalidArgument saying which rule fails.
// `what` ("topic", "subscription") names the id in the message.
absl::Status ValidateResourceId(absl::string_view id, absl::string_view what);

// Returns OK if `project` is a plausible project id (non-empty, no '/').
absl::Status ValidateProjectId(absl::string_view project);

// Returns "projects/<project>/topics/<id>" after validating both parts.
absl::StatusOr<std::string> MakeTopicName(absl::string_view project, absl::string_view id);
// Returns "projects/<project>/subscriptions/<id>" after validating both parts.
absl::StatusOr<std::string> MakeSubscriptionName(absl::string_view project, absl::string_view id);

struct ParsedName {
  std::string project;
  std::string id;
};
// Parses and validates a full topic name. kInvalidArgument if malformed.
absl::StatusOr<ParsedName> ParseTopicName(absl::string_view name);
// Parses and validates a full subscription name. kInvalidArgument if malformed.
absl::StatusOr<ParsedName> ParseSubscriptionName(absl::string_view name);

// Accepts a full name, or an id plus `default_project`; returns the full topic name.
absl::StatusOr<std::string> ResolveTopicName(absl::string_view name_or_id,
                                             absl::string_view default_project);
// Accepts a full name, or an id plus `default_project`; returns the full subscription name.
absl::StatusOr<std::string> ResolveSubscriptionName(absl::string_view name_or_id,
                                                    absl::string_view default_project);

}  // namespace schedsvc::pubsub

#endif  // SCHEDSVC_PUBSUB_RESOURCE_NAMES_H_
