// The JSON of the console's dead-letter API, kept apart from pulling and publishing: a pulled dead letter
// as GET /api/deadletters lists it, the body of POST /api/deadletters/replay turned into the options of
// `schedctl dlq replay` (--id, --set-attribute), and the replay's counts. Pure functions; thread-safe.
#ifndef SCHEDSVC_CONSOLE_DEAD_LETTER_JSON_H_
#define SCHEDSVC_CONSOLE_DEAD_LETTER_JSON_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/pubsub/v1/pubsub.pb.h"
#include "nlohmann/json.hpp"
#include "src/cli/dlq_command.h"

namespace schedsvc::console {

// The reason shown for a dead letter: schedule-service's `schedsvc.error` (then `schedsvc.reason`) when it
// dead-lettered the message; "delivery attempts exhausted" when Pub/Sub forwarded it (only
// CloudPubSubDeadLetter* attributes); "unknown" otherwise.
std::string DeadLetterReason(const google::pubsub::v1::PubsubMessage& message);

// Returns {"id","publishTime","attributes":{all},"reason","originalMessageId","dataBytes"} for one dead
// letter; "originalMessageId" is `schedsvc.message_id` ("" when absent). Credentials in the attributes and
// the reason are hidden (RedactAttributeValue, src/common/credential_redaction.h); the body is never shown.
nlohmann::json DeadLetterJson(const google::pubsub::v1::PubsubMessage& message);

// What a replay request asks for.
struct ReplayRequest {
  std::vector<std::string> ids;                       // "ids": empty = all
  std::map<std::string, std::string> set_attributes;  // "setAttributes": key -> value on each replayed copy
};

// Checks a replay request as ReplayDeadLetters would check its --id / --set-attribute options, in the API's
// words (errors name `ids` and `setAttributes`, never a CLI flag): kInvalidArgument for an empty id, or an
// attribute key that is empty, contains '=', is bookkeeping (schedsvc.*, CloudPubSubDeadLetter*) or is over
// Pub/Sub's key size, or a value over its value size.
absl::Status CheckReplayRequest(const ReplayRequest& request);

// Parses {"ids":["…"], "setAttributes":{"k":"v"}} (both optional; an empty body means all, nothing set).
// kInvalidArgument naming the problem: not JSON, not an object, an unknown member, ids not an array of
// non-empty strings, setAttributes not an object of strings, or what CheckReplayRequest refuses.
absl::StatusOr<ReplayRequest> ParseReplayRequest(const std::string& body);

// Returns {"replayed":N,"skipped":N,"failed":N}.
nlohmann::json ReplayCountsJson(const cli::ReplayCounts& counts);

}  // namespace schedsvc::console

#endif  // SCHEDSVC_CONSOLE_DEAD_LETTER_JSON_H_
