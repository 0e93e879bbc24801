#include "src/dispatch/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace schedsvc::dispatch {

namespace {

// Returns the contents of the regular file at `path` (symlinks followed), at most
// SecretFile::kMaxSizeBytes. Never blocks on a FIFO, a socket or a device: the open is non-blocking and
// anything but a regular file is refused before a byte is read. Errors name the path, never contents.
absl::StatusOr<std::string> ReadRegularFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    return absl::UnavailableError(absl::StrCat("cannot open secret file ", path, ": ", std::strerror(err)));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    return absl::UnavailableError(absl::StrCat("cannot stat secret file ", path, ": ", std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("secret file ", path, " is not a regular file (a FIFO, socket, device or directory)"));
  }
  const auto too_large = [&path] {
    return absl::FailedPreconditionError(
        absl::StrCat("secret file ", path, " is larger than ", SecretFile::kMaxSizeBytes, " bytes"));
  };
  if (st.st_size > static_cast<off_t>(SecretFile::kMaxSizeBytes)) return too_large();
  // One byte more than the limit, so a file that grew after fstat is still caught.
  std::string contents(SecretFile::kMaxSizeBytes + 1, '\0');
  std::size_t used = 0;
  while (used < contents.size()) {
    const ssize_t n = ::read(fd, contents.data() + used, contents.size() - used);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      return absl::UnavailableError(absl::StrCat("cannot read secret file ", path, ": ", std::strerror(err)));
    }
    used += static_cast<std::size_t>(n);
  }
  if (used > SecretFile::kMaxSizeBytes) return too_large();
  contents.resize(used);
  return contents;
}

}  // namespace

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

  absl::StatusOr<std::string> read = ReadRegularFile(path_);
  if (!read.ok()) return read.status();
  std::string value = *std::move(read);
  if (absl::EndsWith(value, "\r\n")) {
    value.resize(value.size() - 2);
  } else if (absl::EndsWith(value, "\n")) {
    value.resize(value.size() - 1);
  }
  if (value.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("secret file ", path_, " is empty"));
  }
  // A CR or LF would end the header line the value goes into and start another (header injection); a
  // NUL cuts it short. Only the one trailing newline above is the file's own.
  if (value.find_first_of("\r\n\0", 0, 3) != std::string::npos) {
    return absl::FailedPreconditionError(absl::StrCat(
        "secret file ", path_,
        " contains a line break or NUL byte (CR, LF or NUL) besides one trailing newline"));
  }
  value_ = std::move(value);
  identity_ = identity;
  loaded_ = true;
  return value_;
}

}  // namespace schedsvc::dispatch
