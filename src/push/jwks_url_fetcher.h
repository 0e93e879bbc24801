// JwksUrlFetcher: the JWKS document from a URL (push.auth.oidc.jwks_url, by default Google's public OAuth2
// certificates), fetched with libcurl: HTTPS with the system CA store (an http:// URL only for a loopback
// host, for tests and local pipelines), no redirects, at most kMaxJwksBytes, within kJwksFetchTimeout.
// The answer's Cache-Control max-age becomes the document's max_age (JwksKeySource caches by it).
// Errors name the URL without user info (RedactUrl).
//
// Thread-safe (each Fetch uses its own curl handle); JwksKeySource calls it from one thread at a time.
#ifndef SCHEDSVC_PUSH_JWKS_URL_FETCHER_H_
#define SCHEDSVC_PUSH_JWKS_URL_FETCHER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/push/jwks_key_source.h"

namespace schedsvc::push_internal {

// Whole-fetch time limit (connect, TLS, answer): a key fetch holds up the push requests waiting for it.
inline constexpr absl::Duration kJwksFetchTimeout = absl::Seconds(5);

class JwksUrlFetcher final : public JwksFetcher {
 public:
  // Returns a fetcher for `url`. kInvalidArgument naming the (redacted) URL when it is not an absolute
  // https:// URL, or an http:// URL whose host is not loopback (127.0.0.1, ::1 or localhost).
  static absl::StatusOr<std::unique_ptr<JwksUrlFetcher>> Make(std::string url);

  // Returns the answer's body and Cache-Control max-age. kUnavailable (or kDeadlineExceeded) naming the
  // URL for a transport error, an answer other than 200, or a body larger than kMaxJwksBytes;
  // kFailedPrecondition when the server's certificate does not verify.
  absl::StatusOr<JwksDocument> Fetch() override;
  std::string Source() const override { return redacted_url_; }

 private:
  JwksUrlFetcher(std::string url, bool allow_http);

  const std::string url_;
  const std::string redacted_url_;
  const bool allow_http_;
};

// Returns the freshness a Cache-Control header value grants: max-age=N as N seconds; no-store or
// no-cache as zero; nullopt when it says neither (or says it unreadably).
std::optional<absl::Duration> CacheControlMaxAge(absl::string_view cache_control);

}  // namespace schedsvc::push_internal

#endif  // SCHEDSVC_PUSH_JWKS_URL_FETCHER_H_
