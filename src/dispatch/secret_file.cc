#include "src/dispatch/secret_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace schedsvc::dispatch {

SecretFile::SecretFile(std::string path, const Clock& clock, absl::Duration recheck_interval)
    : path_(std::move(path)), clock_(clock), recheck_interval_(recheck_interval) {}

absl::StatusOr<std::string> SecretFile::Value() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  if (loaded_ && now - last_check_ < recheck_interval_) return value_;

  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    const int err = errno;
    return absl::UnavailableError(
        absl::StrCat("cannot stat secret file ", path_, ": ", std::strerror(err)));
  }
  FileIdentity identity;
  identity.device = st.st_dev;
  identity.inode = st.st_ino;
  identity.size = static_cast<std::int64_t>(st.st_size);
  identity.mtime_ns =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  last_check_ = now;
  if (loaded_ && identity == identity_) return value_;

  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    const int err = errno;
    return absl::UnavailableError(
        absl::StrCat("cannot read secret file ", path_, ": ", std::strerror(err)));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  std::string value = std::move(contents).str();
  if (absl::EndsWith(value, "\r\n")) {
    value.resize(value.size() - 2);
  } else if (absl::EndsWith(value, "\n")) {
    value.resize(value.size() - 1);
  }
  if (value.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("secret file ", path_, " is empty"));
  }
  value_ = std::move(value);
  identity_ = identity;
  loaded_ = true;
  return value_;
}

}  // namespace schedsvc::dispatch
