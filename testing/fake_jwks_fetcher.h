// FakeJwksFetcher: a JwksFetcher that answers from a script the test sets (a document or an error) and
// counts its fetches; optionally each fetch blocks until the test releases it, to hold a fetch in flight.
// Thread-safe. Header-only: used by tests that link schedsvc_push_auth.
#ifndef SCHEDSVC_TESTING_FAKE_JWKS_FETCHER_H_
#define SCHEDSVC_TESTING_FAKE_JWKS_FETCHER_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "src/push/jwks_key_source.h"

namespace schedsvc::testing {

// What the fake answers and has been asked; shared between the test and the fetcher the key source owns.
class FakeJwksEndpoint {
 public:
  void Serve(std::string body, std::optional<absl::Duration> max_age = std::nullopt) {
    absl::MutexLock lock(&mu_);
    answer_ = push_internal::JwksDocument{std::move(body), max_age};
  }
  void Fail(absl::Status error) {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(error);
  }
  // From now on each fetch signals `started` and then waits for `release`.
  void HoldFetches(absl::Notification* started, absl::Notification* release) {
    absl::MutexLock lock(&mu_);
    started_ = started;
    release_ = release;
  }
  int fetches() const {
    absl::MutexLock lock(&mu_);
    return fetches_;
  }
  absl::StatusOr<push_internal::JwksDocument> Fetch() {
    absl::Notification* started = nullptr;
    absl::Notification* release = nullptr;
    {
      absl::MutexLock lock(&mu_);
      ++fetches_;
      started = started_;
      release = release_;
    }
    if (started != nullptr && !started->HasBeenNotified()) started->Notify();
    if (release != nullptr) release->WaitForNotification();
    absl::MutexLock lock(&mu_);
    return answer_;
  }

 private:
  mutable absl::Mutex mu_;
  absl::StatusOr<push_internal::JwksDocument> answer_ ABSL_GUARDED_BY(mu_) =
      absl::UnavailableError("FakeJwksEndpoint: nothing served");
  int fetches_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Notification* started_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::Notification* release_ ABSL_GUARDED_BY(mu_) = nullptr;
};

class FakeJwksFetcher final : public push_internal::JwksFetcher {
 public:
  // `endpoint` must outlive the fetcher.
  explicit FakeJwksFetcher(FakeJwksEndpoint& endpoint) : endpoint_(endpoint) {}
  absl::StatusOr<push_internal::JwksDocument> Fetch() override { return endpoint_.Fetch(); }
  std::string Source() const override { return "fake-jwks"; }

 private:
  FakeJwksEndpoint& endpoint_;
};

}  // namespace schedsvc::testing

#endif  // SCHEDSVC_TESTING_FAKE_JWKS_FETCHER_H_
