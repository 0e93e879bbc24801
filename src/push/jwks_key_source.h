// JwksKeySource: the signing keys OIDC token verification checks signatures with, by key id, from a JWKS
// document that a JwksFetcher gets (a file: JwksFileFetcher; a URL: JwksUrlFetcher). It sits between
// OidcPushAuthenticator and the key endpoint, and decides when the endpoint is asked:
//
//   - Keys are served from a cache while fresh: for the document's max-age (Cache-Control), or
//     default_max_age when it says none, at most kMaxCacheAge.
//   - A key id not in the cache (key rotation, or a token with a made-up kid) triggers one refetch, but
//     fetches are at least min_refetch_interval apart, whatever triggers them (stale keys, an unknown kid,
//     a failed fetch): tokens with random key ids cannot make the service hammer the key endpoint.
//   - One fetch at a time (single flight): concurrent callers share it. While it runs, callers whose key
//     is cached get it at once; the others wait for the fetch's result.
//   - A failed refresh keeps serving the cached keys (stale ones too). With no keys at all, kUnavailable.
//
// Freshness is measured on the injected Clock. A clock that steps back (the wall clock) makes the keys
// stale and allows a fetch at once: at most one extra fetch, never keys held forever.
//
// Thread-safe: absl::Mutex; no lock is held during a fetch. The fetcher is called by one thread at a time.
// The Clock must outlive the object.
#ifndef SCHEDSVC_PUSH_JWKS_KEY_SOURCE_H_
#define SCHEDSVC_PUSH_JWKS_KEY_SOURCE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/common/clock.h"
#include "src/push/jwks.h"

namespace schedsvc::push_internal {

// One JWKS document as fetched.
struct JwksDocument {
  std::string body;
  // How long the keys may be used without a refetch (Cache-Control max-age); nullopt when not said.
  std::optional<absl::Duration> max_age;
};

// Gets the JWKS document from where it lives. Implementations: JwksFileFetcher, JwksUrlFetcher.
class JwksFetcher {
 public:
  virtual ~JwksFetcher() = default;
  // Returns the current document; may block (file or network I/O). Errors name the source (a path or a
  // redacted URL) and are kUnavailable for a source that may come back, kFailedPrecondition or
  // kInvalidArgument for one that will not without an operator. Never called concurrently.
  virtual absl::StatusOr<JwksDocument> Fetch() = 0;
  // Returns the source's name for messages: a path, or a URL without user info.
  virtual std::string Source() const = 0;
};

// Default when a JWKS document says nothing about caching.
inline constexpr absl::Duration kDefaultJwksMaxAge = absl::Hours(1);
// Upper bound on any max-age: keys revoked at the provider are dropped within a day at worst.
inline constexpr absl::Duration kMaxCacheAge = absl::Hours(24);
// Least time between two fetches of the key endpoint.
inline constexpr absl::Duration kMinRefetchInterval = absl::Seconds(30);

struct JwksKeySourceOptions {
  // Freshness of a document that says none. Default kDefaultJwksMaxAge; >= 0.
  absl::Duration default_max_age = kDefaultJwksMaxAge;
  // Least time between two fetches. Default kMinRefetchInterval; >= 0.
  absl::Duration min_refetch_interval = kMinRefetchInterval;
};

class JwksKeySource {
 public:
  JwksKeySource(std::unique_ptr<JwksFetcher> fetcher, const Clock& clock, JwksKeySourceOptions options = {});

  // Returns the PEM public key with key id `kid`, fetching first when the cache is stale or lacks `kid`
  // and the refetch interval allows. kNotFound when the key set (refetched or not, as the interval allows)
  // has no such key; kUnavailable with the fetch error when no key set was ever obtained. Messages never
  // contain `kid` (it comes from an unverified token). May block on a fetch.
  absl::StatusOr<std::string> KeyPem(absl::string_view kid);

  // Fetches now, whatever the cache and the refetch interval say, and returns the fetch or parse error
  // unchanged (for a start-up check of a JWKS file). Shares a fetch already running.
  absl::Status Refresh();

  const std::string& source() const { return source_; }

 private:
  // Runs one fetch without the lock and stores its result. Requires fetching_ set by the caller.
  absl::Status FetchAndStore(absl::Time started) ABSL_LOCKS_EXCLUDED(mu_);

  const std::unique_ptr<JwksFetcher> fetcher_;
  const std::string source_;
  const Clock& clock_;
  const JwksKeySourceOptions options_;

  absl::Mutex mu_;
  // The keys of the last good document; null until one was fetched.
  std::shared_ptr<const JwkSet> keys_ ABSL_GUARDED_BY(mu_);
  // The body keys_ was parsed from: an unchanged document is not parsed again.
  std::string body_ ABSL_GUARDED_BY(mu_);
  // keys_ are fresh in [fetched_at_, expires_at_).
  absl::Time fetched_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time expires_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // When the last fetch (good or not) started.
  absl::Time last_attempt_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Error of the last fetch, OK after a good one.
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  // A fetch runs (without the lock); others wait for it or serve the cache.
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace schedsvc::push_internal

#endif  // SCHEDSVC_PUSH_JWKS_KEY_SOURCE_H_
