#include "src/scheduler/runner/http_target_caller.h"

#include <curl/curl.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/common/status.h"
#include "src/dispatch/curl_status.h"
#include "src/scheduler/json_time.h"
#include "src/scheduler/runner/http_target_rules.h"

namespace schedsvc::scheduler {
namespace {

namespace v1 = ::google::cloud::scheduler::v1;

size_t DiscardBody(char*, size_t size, size_t nmemb, void*) { return size * nmemb; }

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

std::map<std::string, std::string> HttpTargetHeaders(const v1::HttpTarget& target, absl::string_view job_id,
                                                     absl::Time schedule_time) {
  std::map<std::string, std::string> headers;
  const bool has_token = target.has_oauth_token() || target.has_oidc_token();
  for (const auto& [name, value] : target.headers()) {
    const std::string lower = absl::AsciiStrToLower(name);
    // A configured token overrides the job's Authorization header; these are set below.
    if (has_token && lower == "authorization") continue;
    // Host, Content-Length, framing, User-Agent, X-CloudScheduler*: the emulator (libcurl) sets them.
    if (IsDroppedHttpTargetHeader(name)) continue;
    headers[name] = value;
  }
  if (!target.body().empty()) {
    bool has_content_type = false;
    for (const auto& [name, value] : headers) {
      if (absl::AsciiStrToLower(name) == "content-type") has_content_type = true;
    }
    // Cloud Scheduler's default for a body without a Content-Type.
    if (!has_content_type) headers["Content-Type"] = "application/octet-stream";
  }
  headers["User-Agent"] = "Google-Cloud-Scheduler";
  headers["X-CloudScheduler"] = "true";
  headers["X-CloudScheduler-JobName"] = std::string(job_id);
  headers["X-CloudScheduler-ScheduleTime"] = FormatJsonTimestamp(schedule_time);
  if (target.has_oidc_token()) {
    const v1::OidcToken& token = target.oidc_token();
    headers["X-CloudScheduler-Emulator-Auth"] =
        absl::StrCat("oidc; serviceAccountEmail=", token.service_account_email(),
                     "; audience=", token.audience().empty() ? target.uri() : token.audience());
  } else if (target.has_oauth_token()) {
    const v1::OAuthToken& token = target.oauth_token();
    headers["X-CloudScheduler-Emulator-Auth"] =
        absl::StrCat("oauth; serviceAccountEmail=", token.service_account_email(), "; scope=",
                     token.scope().empty() ? "https://www.googleapis.com/auth/cloud-platform" : token.scope());
  }
  return headers;
}

absl::Status CallHttpTarget(const v1::HttpTarget& target, absl::string_view job_id, absl::Time schedule_time,
                            absl::Duration deadline) {
  // ValidateJob refused these already; a job stored before that rule (or edited in the database) must not
  // split the request either, so every header line and the URL are checked again before anything is sent.
  const std::map<std::string, std::string> headers = HttpTargetHeaders(target, job_id, schedule_time);
  for (const auto& [name, value] : headers) {
    if (absl::Status s = ValidateHttpTargetHeader(name, value); !s.ok()) return s;
  }
  if (absl::Status s = ValidateHttpTargetUriCharacters(target.uri()); !s.ok()) return s;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return absl::InternalError("curl_easy_init failed");
  std::unique_ptr<curl_slist, SlistDeleter> list;
  for (const auto& [name, value] : headers) {
    curl_slist* appended = curl_slist_append(list.get(), absl::StrCat(name, ": ", value).c_str());
    if (appended == nullptr) return absl::InternalError("curl_slist_append failed");
    list.release();
    list.reset(appended);
  }
  CURL* c = curl.get();
  // curl keeps the pointer to the custom method, so the string must outlive the call.
  const std::string method = v1::HttpMethod_Name(target.http_method());
  curl_easy_setopt(c, CURLOPT_URL, target.uri().c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(deadline)));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, DiscardBody);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  switch (target.http_method()) {
    case v1::GET:
    case v1::HTTP_METHOD_UNSPECIFIED:
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
      break;
    case v1::HEAD:
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
      break;
    case v1::POST:
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      break;
    default:
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
      break;
  }
  if (target.http_method() == v1::POST || target.http_method() == v1::PUT || target.http_method() == v1::PATCH) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, target.body().data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(target.body().size()));
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return dispatch::FromCurlCode(rc, curl_easy_strerror(rc));
  long http_status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http_status);
  return FromHttpStatus(static_cast<int>(http_status), "HTTP target");
}

}  // namespace schedsvc::scheduler
