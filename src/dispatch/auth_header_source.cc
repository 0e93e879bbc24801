#include "src/dispatch/auth_header_source.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace schedsvc::dispatch {

BasicAuthHeader::BasicAuthHeader(std::string username_file, std::string password_file,
                                 const Clock& clock, absl::Duration recheck_interval)
    : username_(std::move(username_file), clock, recheck_interval),
      password_(std::move(password_file), clock, recheck_interval) {}

absl::StatusOr<std::string> BasicAuthHeader::HeaderValue() {
  auto username = username_.Value();
  if (!username.ok()) return username.status();
  // RFC 7617: the user-id cannot contain ':', the separator before the password.
  if (username->find(':') != std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat("user name file ", username_.path(), " contains ':', which a Basic user name cannot hold"));
  }
  auto password = password_.Value();
  if (!password.ok()) return password.status();
  return absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(*username, ":", *password)));
}

BearerAuthHeader::BearerAuthHeader(std::string token_file, const Clock& clock,
                                   absl::Duration recheck_interval)
    : token_(std::move(token_file), clock, recheck_interval) {}

absl::StatusOr<std::string> BearerAuthHeader::HeaderValue() {
  auto token = token_.Value();
  if (!token.ok()) return token.status();
  return absl::StrCat("Bearer ", *token);
}

std::unique_ptr<AuthHeaderSource> MakeAuthHeaderSource(const config::AuthConfig& auth,
                                                       const Clock& clock,
                                                       absl::Duration recheck_interval) {
  switch (auth.kind) {
    case config::AuthKind::kBasic:
      return std::make_unique<BasicAuthHeader>(auth.username_file, auth.password_file, clock,
                                               recheck_interval);
    case config::AuthKind::kBearer:
      return std::make_unique<BearerAuthHeader>(auth.token_file, clock, recheck_interval);
    case config::AuthKind::kNone:
      break;
  }
  return nullptr;
}

}  // namespace schedsvc::dispatch
