#include "src/console/dead_letter_json.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "src/common/credential_redaction.h"

namespace schedsvc::console {
namespace {

constexpr char kErrorAttribute[] = "schedsvc.error";
constexpr char kReasonAttribute[] = "schedsvc.reason";
constexpr char kSourceMessageIdAttribute[] = "schedsvc.message_id";
constexpr char kPubsubDeadLetterPrefix[] = "CloudPubSubDeadLetter";
constexpr char kExhausted[] = "delivery attempts exhausted";
constexpr char kUnknown[] = "unknown";

}  // namespace

std::string DeadLetterReason(const google::pubsub::v1::PubsubMessage& message) {
  const auto& a = message.attributes();
  for (const char* key : {kErrorAttribute, kReasonAttribute}) {
    if (auto it = a.find(key); it != a.end() && !it->second.empty()) return it->second;
  }
  for (const auto& [k, v] : a) {
    if (absl::StartsWith(k, kPubsubDeadLetterPrefix)) return kExhausted;
  }
  return kUnknown;
}

nlohmann::json DeadLetterJson(const google::pubsub::v1::PubsubMessage& message) {
  nlohmann::json attributes = nlohmann::json::object();
  for (const auto& [k, v] : message.attributes()) attributes[k] = RedactAttributeValue(k, v);
  const auto& a = message.attributes();
  const auto source = a.find(kSourceMessageIdAttribute);
  return {{"id", message.message_id()},
          {"publishTime", message.has_publish_time()
                              ? google::protobuf::util::TimeUtil::ToString(message.publish_time())
                              : std::string()},
          {"attributes", std::move(attributes)},
          {"reason", RedactCredentialsInText(DeadLetterReason(message), kRedactedValue)},
          {"originalMessageId", source == a.end() ? std::string() : source->second},
          {"dataBytes", message.data().size()}};
}

absl::Status CheckReplayRequest(const ReplayRequest& request) {
  for (const auto& id : request.ids) {
    if (id.empty()) return absl::InvalidArgumentError("ids must be an array of non-empty strings");
  }
  for (const auto& [k, v] : request.set_attributes) {
    // ReplayDeadLetters takes "KEY=VALUE" texts, split at the first '='.
    if (absl::StrContains(k, '=')) {
      return absl::InvalidArgumentError(absl::StrCat("setAttributes key \"", k, "\" must not contain '='"));
    }
    if (absl::Status s = cli::CheckReplayAttribute("setAttributes", k, v); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<ReplayRequest> ParseReplayRequest(const std::string& body) {
  ReplayRequest out;
  if (body.empty()) return out;
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) return absl::InvalidArgumentError("the body is not JSON");
  if (!json.is_object()) return absl::InvalidArgumentError("the body must be a JSON object");
  for (const auto& [key, value] : json.items()) {
    if (key == "ids") {
      if (!value.is_array()) return absl::InvalidArgumentError("ids must be an array of message ids");
      for (const auto& id : value) {
        if (!id.is_string() || id.get<std::string>().empty()) {
          return absl::InvalidArgumentError("ids must be an array of non-empty strings");
        }
        out.ids.push_back(id.get<std::string>());
      }
    } else if (key == "setAttributes") {
      if (!value.is_object()) return absl::InvalidArgumentError("setAttributes must be an object of strings");
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string()) {
          return absl::InvalidArgumentError(absl::StrCat("setAttributes.", k, " must be a string"));
        }
        out.set_attributes[k] = v.get<std::string>();
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown member \"", key, "\" (known: ids, setAttributes)"));
    }
  }
  if (absl::Status s = CheckReplayRequest(out); !s.ok()) return s;
  return out;
}

nlohmann::json ReplayCountsJson(const cli::ReplayCounts& counts) {
  return {{"replayed", counts.replayed}, {"skipped", counts.skipped}, {"failed", counts.failed}};
}

}  // namespace schedsvc::console
