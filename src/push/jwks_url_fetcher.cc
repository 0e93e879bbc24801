#include "src/push/jwks_url_fetcher.h"

#include <curl/curl.h>

#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/common/url_redaction.h"
#include "src/dispatch/curl_status.h"

namespace schedsvc::push_internal {

namespace {

constexpr absl::string_view kCacheControl = "cache-control:";
constexpr long kHttpOk = 200;

absl::Status InitCurlOnce() {
  static const CURLcode kInit = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (kInit != CURLE_OK) return dispatch::FromCurlCode(kInit, "curl_global_init");
  return absl::OkStatus();
}

struct UrlFree {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct EasyFree {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};

// One URL part as curl parses it, lower-cased; empty when absent.
std::string UrlPart(CURLU* url, CURLUPart part) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, 0) != CURLUE_OK || value == nullptr) return "";
  std::string result = absl::AsciiStrToLower(value);
  curl_free(value);
  return result;
}

// What one transfer collects.
struct Transfer {
  std::string body;
  bool too_large = false;
  std::string cache_control;
};

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (transfer->body.size() + bytes > kMaxJwksBytes) {
    transfer->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  transfer->body.append(data, bytes);
  return bytes;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  const absl::string_view line(data, bytes);
  if (line.size() > kCacheControl.size() && absl::StartsWithIgnoreCase(line, kCacheControl)) {
    transfer->cache_control = std::string(absl::StripAsciiWhitespace(line.substr(kCacheControl.size())));
  }
  return bytes;
}

}  // namespace

std::optional<absl::Duration> CacheControlMaxAge(absl::string_view cache_control) {
  std::optional<absl::Duration> result;
  for (absl::string_view directive : absl::StrSplit(cache_control, ',')) {
    directive = absl::StripAsciiWhitespace(directive);
    if (absl::EqualsIgnoreCase(directive, "no-store") || absl::EqualsIgnoreCase(directive, "no-cache")) {
      return absl::ZeroDuration();
    }
    constexpr absl::string_view kMaxAge = "max-age=";
    if (absl::StartsWithIgnoreCase(directive, kMaxAge)) {
      std::int64_t seconds = 0;
      if (absl::SimpleAtoi(directive.substr(kMaxAge.size()), &seconds) && seconds >= 0) {
        result = absl::Seconds(seconds);
      }
    }
  }
  return result;
}

absl::StatusOr<std::unique_ptr<JwksUrlFetcher>> JwksUrlFetcher::Make(std::string url) {
  const std::string redacted = RedactUrl(url);
  std::unique_ptr<CURLU, UrlFree> parsed(curl_url());
  if (parsed == nullptr) return absl::InternalError("curl_url failed");
  if (curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return absl::InvalidArgumentError(absl::StrCat("push.auth.oidc.jwks_url ", redacted, " is not a URL"));
  }
  const std::string scheme = UrlPart(parsed.get(), CURLUPART_SCHEME);
  const std::string host = UrlPart(parsed.get(), CURLUPART_HOST);
  if (scheme == "https") return std::unique_ptr<JwksUrlFetcher>(new JwksUrlFetcher(std::move(url), false));
  const bool loopback = host == "127.0.0.1" || host == "[::1]" || host == "localhost";
  if (scheme == "http" && loopback) {
    return std::unique_ptr<JwksUrlFetcher>(new JwksUrlFetcher(std::move(url), true));
  }
  return absl::InvalidArgumentError(absl::StrCat("push.auth.oidc.jwks_url ", redacted,
                                                 " must be https:// (http:// only for a loopback host)"));
}

JwksUrlFetcher::JwksUrlFetcher(std::string url, bool allow_http)
    : url_(std::move(url)), redacted_url_(RedactUrl(url_)), allow_http_(allow_http) {}

absl::StatusOr<JwksDocument> JwksUrlFetcher::Fetch() {
  if (absl::Status init = InitCurlOnce(); !init.ok()) return init;
  std::unique_ptr<CURL, EasyFree> easy(curl_easy_init());
  if (easy == nullptr) return absl::InternalError("curl_easy_init failed");
  Transfer transfer;
  char error[CURL_ERROR_SIZE] = {0};
  CURL* e = easy.get();
  curl_easy_setopt(e, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, allow_http_ ? "http" : "https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(kJwksFetchTimeout)));
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_USERAGENT, "schedule-service");
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &transfer);
  const CURLcode code = curl_easy_perform(e);
  if (transfer.too_large) {
    return absl::UnavailableError(
        absl::StrCat("JWKS from ", redacted_url_, " is larger than ", kMaxJwksBytes, " bytes"));
  }
  if (code != CURLE_OK) {
    const absl::Status status = dispatch::FromCurlCode(code, error[0] != '\0' ? error : curl_easy_strerror(code));
    return absl::Status(status.code(), absl::StrCat("fetching JWKS from ", redacted_url_, ": ", status.message()));
  }
  long http_status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &http_status);
  if (http_status != kHttpOk) {
    return absl::UnavailableError(
        absl::StrCat("fetching JWKS from ", redacted_url_, ": answered HTTP ", http_status));
  }
  return JwksDocument{std::move(transfer.body), CacheControlMaxAge(transfer.cache_control)};
}

}  // namespace schedsvc::push_internal
