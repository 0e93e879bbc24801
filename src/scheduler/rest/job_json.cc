#include "src/scheduler/rest/job_json.h"

#include <google/protobuf/util/json_util.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace schedsvc::scheduler {
namespace {

using nlohmann::json;
namespace v1 = ::google::cloud::scheduler::v1;

// protobuf's parser reports an unknown field as "<location> <name>: Cannot find field.".
constexpr absl::string_view kUnknownFieldSuffix = ": Cannot find field.";
// protobuf's reasons are short; a longer one is cut.
constexpr std::size_t kMaxReasonBytes = 200;

// The output-only timestamps: written with the fewest fractional digits (json_time.h) where protobuf's
// printer writes 3, 6 or 9.
struct TimestampField {
  const char* json_name;
  absl::Time (*get)(const Job&);
};
constexpr TimestampField kTimestampFields[] = {
    {"userUpdateTime", &UserUpdateTimeOf},
    {"scheduleTime", &ScheduleTimeOf},
    {"lastAttemptTime", &LastAttemptTimeOf},
};

// A field of the Job's JSON: `key` in the top-level object (`object` empty) or in its member `object`.
struct FieldPath {
  const char* object;
  const char* key;
};

// Fields where an empty string means "unset": enums and timestamps, which protobuf's parser refuses as "".
constexpr FieldPath kEmptyMeansUnset[] = {
    {"", "state"}, {"", "userUpdateTime"}, {"", "scheduleTime"}, {"", "lastAttemptTime"},
    {"httpTarget", "httpMethod"}};

// The string maps. A null value is dropped: in an update it means "delete this key", which the update-mask
// code has already applied by the time a Job is parsed.
constexpr FieldPath kStringMaps[] = {{"pubsubTarget", "attributes"}, {"httpTarget", "headers"}};

// The members of the output-only status a body may carry; any other (details) is ignored.
constexpr const char* kStatusMembers[] = {"code", "message"};

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("Invalid value at '", field, "': ", problem));
}

// The object holding `field`, or nullptr when absent or not an object.
json* Holder(json& root, const FieldPath& field) {
  if (*field.object == '\0') return &root;
  auto it = root.find(field.object);
  return it != root.end() && it->is_object() ? &*it : nullptr;
}

// What the REST body means beyond protobuf's JSON parser: the rules above, and appEngineHttpTarget refused.
absl::Status Normalize(json& j) {
  if (auto it = j.find("appEngineHttpTarget"); it != j.end() && !it->is_null()) {
    return absl::InvalidArgumentError(
        "appEngineHttpTarget is not supported by cloud-scheduler-emulator; use httpTarget or pubsubTarget.");
  }
  for (const FieldPath& field : kEmptyMeansUnset) {
    json* holder = Holder(j, field);
    if (holder == nullptr) continue;
    auto it = holder->find(field.key);
    if (it != holder->end() && it->is_string() && it->get<std::string>().empty()) holder->erase(it);
  }
  for (const FieldPath& field : kStringMaps) {
    json* holder = Holder(j, field);
    if (holder == nullptr) continue;
    auto map = holder->find(field.key);
    if (map == holder->end() || !map->is_object()) continue;
    std::vector<std::string> nulls;
    for (const auto& item : map->items()) {
      if (item.value().is_null()) {
        nulls.push_back(item.key());
      } else if (!item.value().is_string()) {
        return Invalid(absl::StrCat(field.object, ".", field.key, ".", item.key()), "expected a string");
      }
    }
    for (const std::string& key : nulls) map->erase(key);
  }
  if (auto status = j.find("status"); status != j.end() && status->is_object()) {
    json kept = json::object();
    for (const char* member : kStatusMembers) {
      if (auto it = status->find(member); it != status->end()) kept[member] = *it;
    }
    *status = std::move(kept);
  }
  return absl::OkStatus();
}

// "http_target.oauth_token" -> "httpTarget.oauthToken".
std::string JsonPath(absl::string_view proto_path) {
  std::string out;
  bool upper = false;
  for (char c : proto_path) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out.push_back(upper ? absl::ascii_toupper(static_cast<unsigned char>(c)) : c);
    upper = false;
  }
  return out;
}

// protobuf's reason for a refused value without the value: it quotes the input whole (a body that is not
// base64 may be a raw payload carrying a credential, and of any size), so every quoted part is dropped.
std::string ReasonWithoutValues(absl::string_view reason) {
  if (absl::StrContains(reason, "TYPE_BYTES")) return "not valid base64";
  std::string out;
  bool quoted = false;
  for (char c : reason) {
    if (c == '"') {
      quoted = !quoted;
      continue;
    }
    if (!quoted) out.push_back(c);
  }
  out = std::string(absl::StripAsciiWhitespace(absl::StrReplaceAll(out, {{"  ", " "}})));
  if (out.size() > kMaxReasonBytes) out.resize(kMaxReasonBytes);
  return out;
}

// protobuf's parse error in Google's REST wording, the field named by its JSON path: "(loc): reason" or
// "[(loc) ]name: Cannot find field.". The refused value itself is never echoed.
absl::Status RestError(absl::string_view message) {
  std::string location;
  absl::string_view rest = message;
  if (absl::ConsumePrefix(&rest, "(")) {
    if (auto close = rest.find(')'); close != absl::string_view::npos) {
      location = JsonPath(rest.substr(0, close));
      rest.remove_prefix(close + 1);
      absl::ConsumePrefix(&rest, " ");
    }
  }
  if (absl::ConsumeSuffix(&rest, kUnknownFieldSuffix)) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid JSON payload received. Unknown name \"", rest,
                                                   "\" at '", location.empty() ? "job" : location, "'."));
  }
  absl::ConsumePrefix(&rest, ": ");
  const std::string reason = ReasonWithoutValues(rest);
  if (location.empty()) return absl::InvalidArgumentError(absl::StrCat("Invalid JSON payload received. ", reason));
  return Invalid(location, reason);
}

// Parses `j` (normalized) as a Job, with the checks a request's proto gets (CheckJobProto).
absl::StatusOr<Job> ParseProtoJson(const json& j) {
  Job job;
  const auto status = google::protobuf::util::JsonStringToMessage(j.dump(), &job);
  if (!status.ok()) return RestError(std::string(status.message()));
  if (absl::Status s = CheckJobProto(job); !s.ok()) return s;
  return job;
}

}  // namespace

absl::StatusOr<nlohmann::json> JobToJson(const Job& job) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = false;
  options.preserve_proto_field_names = false;
  if (const auto status = google::protobuf::util::MessageToJsonString(job, &text, options); !status.ok()) {
    // The printer only fails on values JSON cannot carry, such as an out-of-range Duration or Timestamp.
    return absl::InternalError(absl::StrCat("cannot write job \"", job.name(), "\" as JSON: Invalid job: ",
                                            std::string(status.message())));
  }
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InternalError("protobuf printed invalid JSON for a Job");
  for (const TimestampField& field : kTimestampFields) {
    if (j.contains(field.json_name)) j[field.json_name] = FormatJsonTimestamp(field.get(job));
  }
  return j;
}

absl::StatusOr<JobRequest> JobFromJson(const nlohmann::json& body) {
  if (!body.is_object()) return absl::InvalidArgumentError("Invalid JSON payload: expected a Job object.");
  json j = body;
  if (absl::Status s = Normalize(j); !s.ok()) return s;
  // The proto's oneofs (the target; httpTarget's authorization header) hold one member, a body may carry
  // both: the second member is parsed on its own and kept beside the job so that ValidateJob refuses the
  // job with its message.
  const auto present = [](const json& object, const char* key) {
    return object.is_object() && object.contains(key) && !object[key].is_null();
  };
  json http_only = json::object();
  if (present(j, "pubsubTarget") && present(j, "httpTarget")) {
    http_only["httpTarget"] = std::move(j["httpTarget"]);
    j.erase("httpTarget");
  }
  json& with_http = http_only.empty() ? j : http_only;
  json oidc_only = json::object();
  if (present(with_http, "httpTarget") && present(with_http["httpTarget"], "oauthToken") &&
      present(with_http["httpTarget"], "oidcToken")) {
    oidc_only["httpTarget"]["oidcToken"] = std::move(with_http["httpTarget"]["oidcToken"]);
    with_http["httpTarget"].erase("oidcToken");
  }
  JobRequest request;
  absl::StatusOr<Job> job = ParseProtoJson(j);
  if (!job.ok()) return job.status();
  request.job = *std::move(job);
  if (!http_only.empty()) {
    absl::StatusOr<Job> http = ParseProtoJson(http_only);
    if (!http.ok()) return http.status();
    FillJobDefaults(*http);
    request.second_http_target = std::move(*http->mutable_http_target());
  }
  if (!oidc_only.empty()) {
    absl::StatusOr<Job> oidc = ParseProtoJson(oidc_only);
    if (!oidc.ok()) return oidc.status();
    request.second_oidc_token = std::move(*oidc->mutable_http_target()->mutable_oidc_token());
  }
  FillJobDefaults(request.job);
  return request;
}

}  // namespace schedsvc::scheduler
