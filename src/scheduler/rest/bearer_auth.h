// BearerAuth: checks `Authorization: Bearer <token>` against a token kept in a file (how Kubernetes and
// Secret Manager mount secrets). The file is re-read when its modification time changes, so a rotated
// token takes effect without a restart. The token never reaches logs or error messages. Thread-safe.
#ifndef SCHEDSVC_SCHEDULER_REST_BEARER_AUTH_H_
#define SCHEDSVC_SCHEDULER_REST_BEARER_AUTH_H_

#include <ctime>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace schedsvc::scheduler {

class BearerAuth {
 public:
  // Reads the token (surrounding whitespace trimmed) from `path`. kInvalidArgument naming the path if
  // it cannot be read or is empty.
  static absl::StatusOr<std::unique_ptr<BearerAuth>> FromFile(const std::string& path);

  // Returns OK if `authorization_header` is "Bearer <the token>", else kUnauthenticated.
  absl::Status Check(absl::string_view authorization_header);

 private:
  explicit BearerAuth(std::string path) : path_(std::move(path)) {}
  absl::Status ReloadIfChanged() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  std::timespec mtime_ ABSL_GUARDED_BY(mu_) = {};
};

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_REST_BEARER_AUTH_H_
