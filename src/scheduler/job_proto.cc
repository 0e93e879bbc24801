#include "src/scheduler/job_proto.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace schedsvc::scheduler {
namespace {

namespace v1 = ::google::cloud::scheduler::v1;
using ::google::protobuf::util::TimeUtil;

constexpr int64_t kNanosPerSecond = 1'000'000'000;

// Whole nanoseconds, truncated toward zero as proto3 JSON writes a Duration.
google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  const int64_t nanos = absl::ToInt64Nanoseconds(d);
  google::protobuf::Duration out;
  out.set_seconds(nanos / kNanosPerSecond);
  out.set_nanos(static_cast<int32_t>(nanos % kNanosPerSecond));
  return out;
}

absl::Duration FromProtoDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

absl::StatusOr<google::protobuf::Timestamp> ToProtoTimestamp(absl::Time t, absl::string_view field,
                                                             const Job& job) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  if (seconds < TimeUtil::kTimestampMinSeconds || seconds > TimeUtil::kTimestampMaxSeconds) {
    return absl::InternalError(absl::StrCat("cannot convert job \"", job.name,
                                            "\" to google.cloud.scheduler.v1.Job: ", field,
                                            " is outside the years 1-9999"));
  }
  google::protobuf::Timestamp out;
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
  return out;
}

absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

bool ValidDuration(const google::protobuf::Duration& d) {
  if (d.seconds() < TimeUtil::kDurationMinSeconds || d.seconds() > TimeUtil::kDurationMaxSeconds) return false;
  if (d.nanos() <= -kNanosPerSecond || d.nanos() >= kNanosPerSecond) return false;
  return !((d.seconds() < 0 && d.nanos() > 0) || (d.seconds() > 0 && d.nanos() < 0));
}

bool ValidTimestamp(const google::protobuf::Timestamp& t) {
  return t.seconds() >= TimeUtil::kTimestampMinSeconds && t.seconds() <= TimeUtil::kTimestampMaxSeconds &&
         t.nanos() >= 0 && t.nanos() < kNanosPerSecond;
}

// True when protobuf's JSON printer may refuse `proto`: a Duration or Timestamp outside its range, or
// status details (Any values it must resolve). Such a proto has no REST form.
bool MayHaveNoJsonForm(const v1::Job& proto) {
  if (proto.has_user_update_time() && !ValidTimestamp(proto.user_update_time())) return true;
  if (proto.has_schedule_time() && !ValidTimestamp(proto.schedule_time())) return true;
  if (proto.has_last_attempt_time() && !ValidTimestamp(proto.last_attempt_time())) return true;
  if (proto.has_attempt_deadline() && !ValidDuration(proto.attempt_deadline())) return true;
  if (proto.has_status() && proto.status().details_size() > 0) return true;
  if (proto.has_retry_config()) {
    const v1::RetryConfig& r = proto.retry_config();
    if (r.has_max_retry_duration() && !ValidDuration(r.max_retry_duration())) return true;
    if (r.has_min_backoff_duration() && !ValidDuration(r.min_backoff_duration())) return true;
    if (r.has_max_backoff_duration() && !ValidDuration(r.max_backoff_duration())) return true;
  }
  return false;
}

// REST's message for a value of the wrong JSON type: an unknown enum number prints as a number where
// the REST body has the enum's name.
absl::Status NotAString(absl::string_view field) {
  return absl::InvalidArgumentError(absl::StrCat("Invalid value at '", field, "': expected a string"));
}

}  // namespace

absl::StatusOr<v1::Job> JobToProto(const Job& job) {
  v1::Job proto;
  proto.set_name(job.name);
  proto.set_description(job.description);
  if (job.pubsub_target.has_value()) {
    const PubsubTarget& t = *job.pubsub_target;
    v1::PubsubTarget* out = proto.mutable_pubsub_target();
    out->set_topic_name(t.topic_name);
    out->set_data(t.data);
    out->mutable_attributes()->insert(t.attributes.begin(), t.attributes.end());
  }
  if (job.http_target.has_value()) {
    const HttpTarget& t = *job.http_target;
    v1::HttpTarget* out = proto.mutable_http_target();
    out->set_uri(t.uri);
    out->set_http_method(static_cast<v1::HttpMethod>(t.http_method));
    out->mutable_headers()->insert(t.headers.begin(), t.headers.end());
    out->set_body(t.body);
    if (t.oauth_token.has_value()) {
      out->mutable_oauth_token()->set_service_account_email(t.oauth_token->service_account_email);
      out->mutable_oauth_token()->set_scope(t.oauth_token->scope);
    }
    if (t.oidc_token.has_value()) {
      out->mutable_oidc_token()->set_service_account_email(t.oidc_token->service_account_email);
      out->mutable_oidc_token()->set_audience(t.oidc_token->audience);
    }
  }
  proto.set_schedule(job.schedule);
  proto.set_time_zone(job.time_zone);
  if (job.user_update_time != absl::InfinitePast()) {
    absl::StatusOr<google::protobuf::Timestamp> t = ToProtoTimestamp(job.user_update_time, "userUpdateTime", job);
    if (!t.ok()) return t.status();
    *proto.mutable_user_update_time() = *t;
  }
  proto.set_state(static_cast<v1::Job::State>(job.state));
  if (job.status.has_value()) {
    proto.mutable_status()->set_code(job.status->code);
    proto.mutable_status()->set_message(job.status->message);
  }
  if (job.schedule_time != absl::InfinitePast()) {
    absl::StatusOr<google::protobuf::Timestamp> t = ToProtoTimestamp(job.schedule_time, "scheduleTime", job);
    if (!t.ok()) return t.status();
    *proto.mutable_schedule_time() = *t;
  }
  if (job.last_attempt_time != absl::InfinitePast()) {
    absl::StatusOr<google::protobuf::Timestamp> t =
        ToProtoTimestamp(job.last_attempt_time, "lastAttemptTime", job);
    if (!t.ok()) return t.status();
    *proto.mutable_last_attempt_time() = *t;
  }
  const RetryPolicy& r = job.retry_config;
  v1::RetryConfig* rc = proto.mutable_retry_config();
  rc->set_retry_count(r.retry_count);
  *rc->mutable_max_retry_duration() = ToProtoDuration(r.max_retry_duration);
  *rc->mutable_min_backoff_duration() = ToProtoDuration(r.min_backoff);
  *rc->mutable_max_backoff_duration() = ToProtoDuration(r.max_backoff);
  rc->set_max_doublings(r.max_doublings);
  *proto.mutable_attempt_deadline() = ToProtoDuration(job.attempt_deadline);
  return proto;
}

absl::StatusOr<Job> JobFromProto(const v1::Job& proto) {
  // What protobuf's printer refuses has no REST form: its reason is the error.
  if (absl::Status s = CheckJobJsonForm(proto); !s.ok()) return s;
  if (proto.has_app_engine_http_target()) {
    return absl::InvalidArgumentError(
        "appEngineHttpTarget is not supported by cloud-scheduler-emulator; use httpTarget or pubsubTarget.");
  }
  Job job;
  job.name = proto.name();
  job.description = proto.description();
  if (proto.has_pubsub_target()) {
    const v1::PubsubTarget& t = proto.pubsub_target();
    PubsubTarget out;
    out.topic_name = t.topic_name();
    out.data = t.data();
    out.attributes.insert(t.attributes().begin(), t.attributes().end());
    job.pubsub_target = std::move(out);
  }
  if (proto.has_http_target()) {
    const v1::HttpTarget& t = proto.http_target();
    HttpTarget out;
    out.uri = t.uri();
    if (!v1::HttpMethod_IsValid(t.http_method())) return NotAString("httpTarget.httpMethod");
    // HTTP_METHOD_UNSPECIFIED means the default, as the real API treats it.
    if (t.http_method() != v1::HTTP_METHOD_UNSPECIFIED) out.http_method = static_cast<HttpMethod>(t.http_method());
    out.headers.insert(t.headers().begin(), t.headers().end());
    out.body = t.body();
    if (t.has_oauth_token()) out.oauth_token = OAuthToken{t.oauth_token().service_account_email(), t.oauth_token().scope()};
    if (t.has_oidc_token()) out.oidc_token = OidcToken{t.oidc_token().service_account_email(), t.oidc_token().audience()};
    job.http_target = std::move(out);
  }
  job.schedule = proto.schedule();
  job.time_zone = proto.time_zone();
  if (proto.has_user_update_time()) job.user_update_time = FromProtoTimestamp(proto.user_update_time());
  if (!v1::Job::State_IsValid(proto.state())) return NotAString("state");
  job.state = static_cast<JobState>(proto.state());
  if (proto.has_status()) job.status = JobStatus{proto.status().code(), proto.status().message()};
  if (proto.has_schedule_time()) job.schedule_time = FromProtoTimestamp(proto.schedule_time());
  if (proto.has_last_attempt_time()) job.last_attempt_time = FromProtoTimestamp(proto.last_attempt_time());
  if (proto.has_retry_config()) {
    const v1::RetryConfig& r = proto.retry_config();
    RetryPolicy& p = job.retry_config;
    p.retry_count = r.retry_count();
    if (r.has_max_retry_duration()) p.max_retry_duration = FromProtoDuration(r.max_retry_duration());
    if (r.has_min_backoff_duration()) p.min_backoff = FromProtoDuration(r.min_backoff_duration());
    if (r.has_max_backoff_duration()) p.max_backoff = FromProtoDuration(r.max_backoff_duration());
    if (r.has_max_doublings()) p.max_doublings = r.max_doublings();
  }
  if (proto.has_attempt_deadline()) job.attempt_deadline = FromProtoDuration(proto.attempt_deadline());
  return job;
}

absl::Status CheckJobJsonForm(const v1::Job& proto) {
  if (!MayHaveNoJsonForm(proto)) return absl::OkStatus();
  return JobProtoToJson(proto).status();
}

absl::StatusOr<nlohmann::json> JobProtoToJson(const v1::Job& proto) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = false;
  options.preserve_proto_field_names = false;
  const auto status = google::protobuf::util::MessageToJsonString(proto, &text, options);
  if (!status.ok()) {
    // The printer only fails on values JSON cannot carry, such as an out-of-range Duration or Timestamp.
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid job: ", std::string(status.message())));
  }
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InternalError("protobuf printed invalid JSON for a Job");
  return json;
}

}  // namespace schedsvc::scheduler
