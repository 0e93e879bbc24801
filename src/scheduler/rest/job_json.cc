#include "src/scheduler/rest/job_json.h"

#include <initializer_list>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace schedsvc::scheduler {
namespace {

using nlohmann::json;

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("Invalid value at '", field, "': ", problem));
}

absl::Status CheckKnownFields(const json& object, absl::string_view where,
                              std::initializer_list<absl::string_view> known) {
  for (const auto& item : object.items()) {
    bool found = false;
    for (absl::string_view k : known) {
      if (item.key() == k) found = true;
    }
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Invalid JSON payload received. Unknown name \"", item.key(), "\" at '", where, "'."));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<const json*> ObjectField(const json& parent, const char* key, absl::string_view path) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return nullptr;
  if (!it->is_object()) return Invalid(path, "expected an object");
  return &*it;
}

absl::Status StringField(const json& parent, const char* key, absl::string_view path,
                         std::string& out) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return Invalid(path, "expected a string");
  out = it->get<std::string>();
  return absl::OkStatus();
}

absl::Status IntField(const json& parent, const char* key, absl::string_view path, int& out) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return absl::OkStatus();
  if (it->is_number_integer()) {
    out = it->get<int>();
    return absl::OkStatus();
  }
  // proto3 JSON also accepts integers as strings.
  if (it->is_string() && absl::SimpleAtoi(it->get<std::string>(), &out)) return absl::OkStatus();
  return Invalid(path, "expected an integer");
}

absl::Status BytesField(const json& parent, const char* key, absl::string_view path,
                        std::string& out) {
  std::string text;
  if (absl::Status s = StringField(parent, key, path, text); !s.ok()) return s;
  if (text.empty()) return absl::OkStatus();
  if (!absl::Base64Unescape(text, &out) && !absl::WebSafeBase64Unescape(text, &out)) {
    return Invalid(path, "not valid base64");
  }
  return absl::OkStatus();
}

absl::Status DurationField(const json& parent, const char* key, absl::string_view path,
                           absl::Duration& out) {
  std::string text;
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return absl::OkStatus();
  if (absl::Status s = StringField(parent, key, path, text); !s.ok()) return s;
  absl::StatusOr<absl::Duration> d = ParseJsonDuration(text);
  if (!d.ok()) return Invalid(path, d.status().message());
  out = *d;
  return absl::OkStatus();
}

absl::Status TimeField(const json& parent, const char* key, absl::string_view path,
                       absl::Time& out) {
  std::string text;
  if (absl::Status s = StringField(parent, key, path, text); !s.ok()) return s;
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<absl::Time> t = ParseJsonTimestamp(text);
  if (!t.ok()) return Invalid(path, t.status().message());
  out = *t;
  return absl::OkStatus();
}

// Null map values are dropped here: in an update they mean "delete this key", which the update-mask
// code has already applied by the time a Job is parsed.
absl::Status MapField(const json& parent, const char* key, absl::string_view path,
                      std::map<std::string, std::string>& out) {
  absl::StatusOr<const json*> object = ObjectField(parent, key, path);
  if (!object.ok()) return object.status();
  if (*object == nullptr) return absl::OkStatus();
  for (const auto& item : (*object)->items()) {
    if (item.value().is_null()) continue;
    if (!item.value().is_string()) return Invalid(absl::StrCat(path, ".", item.key()), "expected a string");
    out[item.key()] = item.value().get<std::string>();
  }
  return absl::OkStatus();
}

json MapToJson(const std::map<std::string, std::string>& map) {
  json out = json::object();
  for (const auto& [k, v] : map) out[k] = v;
  return out;
}

absl::StatusOr<PubsubTarget> PubsubTargetFromJson(const json& j) {
  if (absl::Status s = CheckKnownFields(j, "pubsubTarget", {"topicName", "data", "attributes"}); !s.ok()) {
    return s;
  }
  PubsubTarget t;
  if (absl::Status s = StringField(j, "topicName", "pubsubTarget.topicName", t.topic_name); !s.ok()) return s;
  if (absl::Status s = BytesField(j, "data", "pubsubTarget.data", t.data); !s.ok()) return s;
  if (absl::Status s = MapField(j, "attributes", "pubsubTarget.attributes", t.attributes); !s.ok()) return s;
  return t;
}

absl::StatusOr<HttpTarget> HttpTargetFromJson(const json& j) {
  if (absl::Status s = CheckKnownFields(
          j, "httpTarget", {"uri", "httpMethod", "headers", "body", "oauthToken", "oidcToken"});
      !s.ok()) {
    return s;
  }
  HttpTarget t;
  if (absl::Status s = StringField(j, "uri", "httpTarget.uri", t.uri); !s.ok()) return s;
  std::string method;
  if (absl::Status s = StringField(j, "httpMethod", "httpTarget.httpMethod", method); !s.ok()) return s;
  if (!method.empty()) {
    absl::StatusOr<HttpMethod> m = ParseHttpMethod(method);
    if (!m.ok()) return Invalid("httpTarget.httpMethod", m.status().message());
    // An explicit HTTP_METHOD_UNSPECIFIED means the default, as the real API treats it.
    t.http_method = *m == HttpMethod::kUnspecified ? HttpMethod::kPost : *m;
  }
  if (absl::Status s = MapField(j, "headers", "httpTarget.headers", t.headers); !s.ok()) return s;
  if (absl::Status s = BytesField(j, "body", "httpTarget.body", t.body); !s.ok()) return s;
  absl::StatusOr<const json*> oauth = ObjectField(j, "oauthToken", "httpTarget.oauthToken");
  if (!oauth.ok()) return oauth.status();
  if (*oauth != nullptr) {
    if (absl::Status s = CheckKnownFields(**oauth, "httpTarget.oauthToken", {"serviceAccountEmail", "scope"});
        !s.ok()) {
      return s;
    }
    OAuthToken token;
    if (absl::Status s = StringField(**oauth, "serviceAccountEmail", "httpTarget.oauthToken.serviceAccountEmail",
                                     token.service_account_email);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = StringField(**oauth, "scope", "httpTarget.oauthToken.scope", token.scope); !s.ok()) {
      return s;
    }
    t.oauth_token = token;
  }
  absl::StatusOr<const json*> oidc = ObjectField(j, "oidcToken", "httpTarget.oidcToken");
  if (!oidc.ok()) return oidc.status();
  if (*oidc != nullptr) {
    if (absl::Status s = CheckKnownFields(**oidc, "httpTarget.oidcToken", {"serviceAccountEmail", "audience"});
        !s.ok()) {
      return s;
    }
    OidcToken token;
    if (absl::Status s = StringField(**oidc, "serviceAccountEmail", "httpTarget.oidcToken.serviceAccountEmail",
                                     token.service_account_email);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = StringField(**oidc, "audience", "httpTarget.oidcToken.audience", token.audience);
        !s.ok()) {
      return s;
    }
    t.oidc_token = token;
  }
  return t;
}

absl::Status RetryConfigFromJson(const json& j, RetryPolicy& p) {
  if (absl::Status s = CheckKnownFields(j, "retryConfig",
                                        {"retryCount", "maxRetryDuration", "minBackoffDuration",
                                         "maxBackoffDuration", "maxDoublings"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = IntField(j, "retryCount", "retryConfig.retryCount", p.retry_count); !s.ok()) return s;
  if (absl::Status s = DurationField(j, "maxRetryDuration", "retryConfig.maxRetryDuration", p.max_retry_duration);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = DurationField(j, "minBackoffDuration", "retryConfig.minBackoffDuration", p.min_backoff);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = DurationField(j, "maxBackoffDuration", "retryConfig.maxBackoffDuration", p.max_backoff);
      !s.ok()) {
    return s;
  }
  return IntField(j, "maxDoublings", "retryConfig.maxDoublings", p.max_doublings);
}

}  // namespace

nlohmann::json JobToJson(const Job& job) {
  json j = json::object();
  if (!job.name.empty()) j["name"] = job.name;
  if (!job.description.empty()) j["description"] = job.description;
  if (job.pubsub_target.has_value()) {
    const PubsubTarget& t = *job.pubsub_target;
    json pt = json::object();
    if (!t.topic_name.empty()) pt["topicName"] = t.topic_name;
    if (!t.data.empty()) pt["data"] = absl::Base64Escape(t.data);
    if (!t.attributes.empty()) pt["attributes"] = MapToJson(t.attributes);
    j["pubsubTarget"] = pt;
  }
  if (job.http_target.has_value()) {
    const HttpTarget& t = *job.http_target;
    json ht = json::object();
    if (!t.uri.empty()) ht["uri"] = t.uri;
    ht["httpMethod"] = std::string(HttpMethodName(t.http_method));
    if (!t.headers.empty()) ht["headers"] = MapToJson(t.headers);
    if (!t.body.empty()) ht["body"] = absl::Base64Escape(t.body);
    if (t.oauth_token.has_value()) {
      json o = json::object();
      if (!t.oauth_token->service_account_email.empty()) {
        o["serviceAccountEmail"] = t.oauth_token->service_account_email;
      }
      if (!t.oauth_token->scope.empty()) o["scope"] = t.oauth_token->scope;
      ht["oauthToken"] = o;
    }
    if (t.oidc_token.has_value()) {
      json o = json::object();
      if (!t.oidc_token->service_account_email.empty()) {
        o["serviceAccountEmail"] = t.oidc_token->service_account_email;
      }
      if (!t.oidc_token->audience.empty()) o["audience"] = t.oidc_token->audience;
      ht["oidcToken"] = o;
    }
    j["httpTarget"] = ht;
  }
  if (!job.schedule.empty()) j["schedule"] = job.schedule;
  if (!job.time_zone.empty()) j["timeZone"] = job.time_zone;
  if (job.user_update_time != absl::InfinitePast()) {
    j["userUpdateTime"] = FormatJsonTimestamp(job.user_update_time);
  }
  if (job.state != JobState::kUnspecified) j["state"] = std::string(JobStateName(job.state));
  if (job.status.has_value()) {
    json s = json::object();
    if (job.status->code != 0) s["code"] = job.status->code;
    if (!job.status->message.empty()) s["message"] = job.status->message;
    j["status"] = s;
  }
  if (job.schedule_time != absl::InfinitePast()) j["scheduleTime"] = FormatJsonTimestamp(job.schedule_time);
  if (job.last_attempt_time != absl::InfinitePast()) {
    j["lastAttemptTime"] = FormatJsonTimestamp(job.last_attempt_time);
  }
  const RetryPolicy& r = job.retry_config;
  json rc = json::object();
  if (r.retry_count != 0) rc["retryCount"] = r.retry_count;
  rc["maxRetryDuration"] = FormatJsonDuration(r.max_retry_duration);
  rc["minBackoffDuration"] = FormatJsonDuration(r.min_backoff);
  rc["maxBackoffDuration"] = FormatJsonDuration(r.max_backoff);
  rc["maxDoublings"] = r.max_doublings;
  j["retryConfig"] = rc;
  j["attemptDeadline"] = FormatJsonDuration(job.attempt_deadline);
  return j;
}

absl::StatusOr<Job> JobFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("Invalid JSON payload: expected a Job object.");
  if (absl::Status s = CheckKnownFields(
          j, "job",
          {"name", "description", "pubsubTarget", "appEngineHttpTarget", "httpTarget", "schedule",
           "timeZone", "userUpdateTime", "state", "status", "scheduleTime", "lastAttemptTime",
           "retryConfig", "attemptDeadline"});
      !s.ok()) {
    return s;
  }
  if (j.contains("appEngineHttpTarget") && !j["appEngineHttpTarget"].is_null()) {
    return absl::InvalidArgumentError(
        "appEngineHttpTarget is not supported by cloud-scheduler-emulator; use httpTarget or pubsubTarget.");
  }
  Job job;
  if (absl::Status s = StringField(j, "name", "name", job.name); !s.ok()) return s;
  if (absl::Status s = StringField(j, "description", "description", job.description); !s.ok()) return s;
  absl::StatusOr<const json*> pubsub = ObjectField(j, "pubsubTarget", "pubsubTarget");
  if (!pubsub.ok()) return pubsub.status();
  if (*pubsub != nullptr) {
    absl::StatusOr<PubsubTarget> t = PubsubTargetFromJson(**pubsub);
    if (!t.ok()) return t.status();
    job.pubsub_target = *std::move(t);
  }
  absl::StatusOr<const json*> http = ObjectField(j, "httpTarget", "httpTarget");
  if (!http.ok()) return http.status();
  if (*http != nullptr) {
    absl::StatusOr<HttpTarget> t = HttpTargetFromJson(**http);
    if (!t.ok()) return t.status();
    job.http_target = *std::move(t);
  }
  if (absl::Status s = StringField(j, "schedule", "schedule", job.schedule); !s.ok()) return s;
  if (absl::Status s = StringField(j, "timeZone", "timeZone", job.time_zone); !s.ok()) return s;
  if (absl::Status s = TimeField(j, "userUpdateTime", "userUpdateTime", job.user_update_time); !s.ok()) return s;
  std::string state;
  if (absl::Status s = StringField(j, "state", "state", state); !s.ok()) return s;
  if (!state.empty()) {
    absl::StatusOr<JobState> st = ParseJobState(state);
    if (!st.ok()) return Invalid("state", st.status().message());
    job.state = *st;
  }
  absl::StatusOr<const json*> status = ObjectField(j, "status", "status");
  if (!status.ok()) return status.status();
  if (*status != nullptr) {
    JobStatus st;
    if (absl::Status s = IntField(**status, "code", "status.code", st.code); !s.ok()) return s;
    if (absl::Status s = StringField(**status, "message", "status.message", st.message); !s.ok()) return s;
    job.status = st;
  }
  if (absl::Status s = TimeField(j, "scheduleTime", "scheduleTime", job.schedule_time); !s.ok()) return s;
  if (absl::Status s = TimeField(j, "lastAttemptTime", "lastAttemptTime", job.last_attempt_time); !s.ok()) {
    return s;
  }
  absl::StatusOr<const json*> retry = ObjectField(j, "retryConfig", "retryConfig");
  if (!retry.ok()) return retry.status();
  if (*retry != nullptr) {
    if (absl::Status s = RetryConfigFromJson(**retry, job.retry_config); !s.ok()) return s;
  }
  if (absl::Status s = DurationField(j, "attemptDeadline", "attemptDeadline", job.attempt_deadline); !s.ok()) {
    return s;
  }
  return job;
}

}  // namespace schedsvc::scheduler
