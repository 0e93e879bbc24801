#include "src/push/jwks_file_fetcher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace schedsvc::push_internal {

namespace {

std::string OsError(absl::string_view what, const std::string& path, int err) {
  return absl::StrCat("cannot ", what, " JWKS file ", path, ": ", std::strerror(err));
}

}  // namespace

JwksFileFetcher::JwksFileFetcher(std::string path) : path_(std::move(path)) {}

absl::StatusOr<JwksDocument> JwksFileFetcher::Fetch() {
  const auto identity_of = [](const struct stat& st) {
    FileIdentity identity;
    identity.device = st.st_dev;
    identity.inode = st.st_ino;
    identity.size = static_cast<std::int64_t>(st.st_size);
    identity.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    return identity;
  };
  if (loaded_) {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return absl::UnavailableError(OsError("stat", path_, errno));
    if (identity_of(st) == identity_) return JwksDocument{contents_, kJwksFileRecheckInterval};
  }
  const int fd = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return absl::UnavailableError(OsError("open", path_, errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return absl::UnavailableError(OsError("stat", path_, errno));
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("JWKS file ", path_, " is not a regular file (a FIFO, socket, device or directory)"));
  }
  const auto too_large = [this] {
    return absl::FailedPreconditionError(
        absl::StrCat("JWKS file ", path_, " is larger than ", kMaxJwksBytes, " bytes"));
  };
  if (st.st_size > static_cast<off_t>(kMaxJwksBytes)) return too_large();
  // One byte more than the limit, so a file that grew after fstat is still caught.
  std::string contents(kMaxJwksBytes + 1, '\0');
  std::size_t used = 0;
  while (used < contents.size()) {
    const ssize_t n = ::read(fd, contents.data() + used, contents.size() - used);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(OsError("read", path_, errno));
    }
    used += static_cast<std::size_t>(n);
  }
  if (used > kMaxJwksBytes) return too_large();
  contents.resize(used);
  contents_ = std::move(contents);
  identity_ = identity_of(st);
  loaded_ = true;
  return JwksDocument{contents_, kJwksFileRecheckInterval};
}

}  // namespace schedsvc::push_internal
