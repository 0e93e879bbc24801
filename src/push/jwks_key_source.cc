#include "src/push/jwks_key_source.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace schedsvc::push_internal {

JwksKeySource::JwksKeySource(std::unique_ptr<JwksFetcher> fetcher, const Clock& clock,
                             JwksKeySourceOptions options)
    : fetcher_(std::move(fetcher)), source_(fetcher_->Source()), clock_(clock), options_(options) {}

absl::StatusOr<std::string> JwksKeySource::KeyPem(absl::string_view kid) {
  // Each call fetches at most once and waits for another caller's fetch at most once, so it ends.
  bool fetched = false;
  bool waited = false;
  for (;;) {
    absl::Time now;
    {
      absl::MutexLock lock(&mu_);
      now = clock_.Now();
      const std::string* pem = nullptr;
      if (keys_ != nullptr) {
        const auto it = keys_->find(kid);
        if (it != keys_->end()) pem = &it->second;
      }
      const bool fresh = keys_ != nullptr && now >= fetched_at_ && now < expires_at_;
      if (pem != nullptr && fresh) return *pem;
      const bool may_fetch = now < last_attempt_ || now - last_attempt_ >= options_.min_refetch_interval;
      if (!fetching_ && may_fetch && !fetched && !waited) {
        fetching_ = true;
        last_attempt_ = now;
      } else if (fetching_ && pem == nullptr && !fetched && !waited) {
        // Another caller's fetch may bring the key: wait for its result rather than refuse.
        auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !fetching_; };
        mu_.Await(absl::Condition(&idle));
        waited = true;
        continue;
      } else {
        // No fetch now: serve what the cache has, stale or not.
        if (pem != nullptr) return *pem;
        if (keys_ == nullptr) {
          return absl::UnavailableError(absl::StrCat(
              "no JWKS signing keys from ", source_, ": ",
              last_error_.ok() ? absl::string_view("not fetched yet") : last_error_.message()));
        }
        return absl::NotFoundError(absl::StrCat("key id not in the JWKS from ", source_));
      }
    }
    // The result is stored for every caller; this caller looks at the cache again above.
    (void)FetchAndStore(now);
    fetched = true;
  }
}

absl::Status JwksKeySource::Refresh() {
  absl::Time now;
  {
    absl::MutexLock lock(&mu_);
    if (fetching_) {
      auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !fetching_; };
      mu_.Await(absl::Condition(&idle));
      return last_error_;
    }
    now = clock_.Now();
    fetching_ = true;
    last_attempt_ = now;
  }
  return FetchAndStore(now);
}

absl::Status JwksKeySource::FetchAndStore(absl::Time started) {
  absl::StatusOr<JwksDocument> doc = fetcher_->Fetch();
  bool unchanged = false;
  if (doc.ok()) {
    absl::MutexLock lock(&mu_);
    unchanged = keys_ != nullptr && doc->body == body_;
  }
  // Parsed without the lock: OpenSSL's key import is the slow part of a refresh.
  absl::Status status = doc.status();
  std::shared_ptr<const JwkSet> parsed;
  if (doc.ok() && !unchanged) {
    absl::StatusOr<JwkSet> set = ParseJwks(doc->body, source_);
    if (set.ok()) {
      parsed = std::make_shared<const JwkSet>(*std::move(set));
    } else {
      status = set.status();
    }
  }
  absl::MutexLock lock(&mu_);
  fetching_ = false;
  last_error_ = status;
  if (!status.ok()) return status;
  if (parsed != nullptr) {
    keys_ = std::move(parsed);
    body_ = std::move(doc->body);
  }
  const absl::Duration max_age =
      std::clamp(doc->max_age.value_or(options_.default_max_age), absl::ZeroDuration(), kMaxCacheAge);
  fetched_at_ = started;
  expires_at_ = started + max_age;
  return absl::OkStatus();
}

}  // namespace schedsvc::push_internal
