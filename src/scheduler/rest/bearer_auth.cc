#include "src/scheduler/rest/bearer_auth.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace schedsvc::scheduler {
namespace {

// Compares without an early exit, so timing does not reveal a matching prefix.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i % (b.empty() ? 1 : b.size())];
  return diff == 0 && !b.empty();
}

}  // namespace

absl::StatusOr<std::unique_ptr<BearerAuth>> BearerAuth::FromFile(const std::string& path) {
  auto auth = std::unique_ptr<BearerAuth>(new BearerAuth(path));
  absl::MutexLock lock(&auth->mu_);
  if (absl::Status s = auth->ReloadIfChanged(); !s.ok()) return s;
  return auth;
}

absl::Status BearerAuth::ReloadIfChanged() {
  struct stat st;
  if (stat(path_.c_str(), &st) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read auth token file \"", path_, "\""));
  }
  if (!token_.empty() && st.st_mtim.tv_sec == mtime_.tv_sec && st.st_mtim.tv_nsec == mtime_.tv_nsec) {
    return absl::OkStatus();
  }
  std::ifstream in(path_);
  std::stringstream content;
  content << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(content.str()));
  if (!in || token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("auth token file \"", path_, "\" is empty or unreadable"));
  }
  token_ = std::move(token);
  mtime_ = st.st_mtim;
  return absl::OkStatus();
}

absl::Status BearerAuth::Check(absl::string_view authorization_header) {
  absl::MutexLock lock(&mu_);
  // Keep the last good token if the file is briefly missing during a rotation.
  ReloadIfChanged().IgnoreError();
  constexpr absl::string_view kPrefix = "Bearer ";
  if (!absl::StartsWithIgnoreCase(authorization_header, kPrefix) ||
      !ConstantTimeEquals(authorization_header.substr(kPrefix.size()), token_)) {
    return absl::UnauthenticatedError(
        "Request is missing required authentication credential: expected a valid bearer token.");
  }
  return absl::OkStatus();
}

}  // namespace schedsvc::scheduler
