// AuthHeaderSource: produces the `Authorization` header value for one backend from its credential
// files (config `auth.basic.*` or `auth.bearer.token_file`), re-reading them when they change
// (secret_file.h). BackendRequestBuilder owns one per backend that has auth.
//
// Values returned contain the secret: callers put them in the request header and nowhere else. Error
// Statuses never contain it (only file paths).
//
// Thread-safe. The Clock must outlive the object.
#ifndef SCHEDSVC_DISPATCH_AUTH_HEADER_SOURCE_H_
#define SCHEDSVC_DISPATCH_AUTH_HEADER_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/clock.h"
#include "src/config/service_config.h"
#include "src/dispatch/secret_file.h"

namespace schedsvc::dispatch {

class AuthHeaderSource {
 public:
  virtual ~AuthHeaderSource() = default;
  // Returns the header value ("Basic …" / "Bearer …"). Errors as SecretFile::Value().
  virtual absl::StatusOr<std::string> HeaderValue() = 0;
};

// "Basic base64(user:password)" from two files. HeaderValue() also returns kFailedPrecondition naming
// the user name file when the user name contains ':' (RFC 7617).
class BasicAuthHeader final : public AuthHeaderSource {
 public:
  BasicAuthHeader(std::string username_file, std::string password_file, const Clock& clock,
                  absl::Duration recheck_interval = SecretFile::kDefaultRecheckInterval);
  absl::StatusOr<std::string> HeaderValue() override;

 private:
  SecretFile username_;
  SecretFile password_;
};

// "Bearer <token>" from one file.
class BearerAuthHeader final : public AuthHeaderSource {
 public:
  BearerAuthHeader(std::string token_file, const Clock& clock,
                   absl::Duration recheck_interval = SecretFile::kDefaultRecheckInterval);
  absl::StatusOr<std::string> HeaderValue() override;

 private:
  SecretFile token_;
};

// Returns the source for `auth`, or nullptr for AuthKind::kNone.
std::unique_ptr<AuthHeaderSource> MakeAuthHeaderSource(
    const config::AuthConfig& auth, const Clock& clock,
    absl::Duration recheck_interval = SecretFile::kDefaultRecheckInterval);

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_AUTH_HEADER_SOURCE_H_
