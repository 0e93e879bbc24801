#include "src/dispatch/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace schedsvc::dispatch {

namespace {

// The identity of the file behind `st`: a change of any part means the file was replaced or rewritten.
SecretFile::FileIdentity IdentityOf(const struct stat& st) {
  SecretFile::FileIdentity identity;
  identity.device = st.st_dev;
  identity.inode = st.st_ino;
  identity.size = static_cast<std::int64_t>(st.st_size);
  identity.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return identity;
}

// Contents of a regular file and the identity of the file they were read from.
struct FileContents {
  std::string contents;
  SecretFile::FileIdentity identity;
};

// Returns the contents of the regular file at `path` (symlinks followed), at most
// SecretFile::kMaxSizeBytes, with the identity fstat gives for the opened descriptor (so it describes the
// file actually read, even if the path was replaced meanwhile). Never blocks on a FIFO, a socket or a
// device: the open is non-blocking and anything but a regular file is refused before a byte is read.
// Errors name the path, never contents.
absl::StatusOr<FileContents> ReadRegularFile(const std::string& path) {
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
  return FileContents{std::move(contents), IdentityOf(st)};
}

// The checked value from a file's contents: one trailing newline trimmed; empty, or a CR, LF or NUL
// left, is an error naming `path`.
absl::StatusOr<std::string> ValueFromContents(const std::string& path, std::string value) {
  if (absl::EndsWith(value, "\r\n")) {
    value.resize(value.size() - 2);
  } else if (absl::EndsWith(value, "\n")) {
    value.resize(value.size() - 1);
  }
  if (value.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("secret file ", path, " is empty"));
  }
  // A CR or LF would end the header line the value goes into and start another (header injection); a
  // NUL cuts it short. Only the one trailing newline above is the file's own.
  if (value.find_first_of("\r\n\0", 0, 3) != std::string::npos) {
    return absl::FailedPreconditionError(absl::StrCat(
        "secret file ", path,
        " contains a line break or NUL byte (CR, LF or NUL) besides one trailing newline"));
  }
  return value;
}

// Reads the file at `path` unless it still has identity `known` (a stat() says so): then nullopt.
absl::StatusOr<std::optional<FileContents>> CheckFile(const std::string& path,
                                                      const std::optional<SecretFile::FileIdentity>& known) {
  if (known.has_value()) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      const int err = errno;
      return absl::UnavailableError(absl::StrCat("cannot stat secret file ", path, ": ", std::strerror(err)));
    }
    if (IdentityOf(st) == *known) return std::nullopt;
  }
  absl::StatusOr<FileContents> read = ReadRegularFile(path);
  if (!read.ok()) return read.status();
  return std::optional<FileContents>(*std::move(read));
}

}  // namespace

SecretFile::SecretFile(std::string path, const Clock& clock, absl::Duration recheck_interval)
    : path_(std::move(path)), clock_(clock), recheck_interval_(recheck_interval) {}

absl::StatusOr<std::string> SecretFile::Value() {
  absl::Time now;
  std::optional<FileIdentity> known;
  {
    absl::MutexLock lock(&mu_);
    for (;;) {
      now = clock_.Now();
      if (loaded_ && now - last_check_ < recheck_interval_) return value_;
      if (!checking_) break;
      // Another caller is checking the file: serve the cached value, or wait for its result when there is
      // none yet (and then look again: its check may have failed).
      if (loaded_) return value_;
      auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !checking_; };
      mu_.Await(absl::Condition(&idle));
    }
    checking_ = true;
    if (loaded_) known = identity_;
  }
  // The file is stat()ed, read and checked without the lock: a slow mount holds up this caller only.
  absl::StatusOr<std::optional<FileContents>> read = CheckFile(path_, known);
  std::optional<absl::StatusOr<std::string>> value;  // set when the file was read
  if (read.ok() && read->has_value()) value = ValueFromContents(path_, std::move((*read)->contents));
  absl::MutexLock lock(&mu_);
  checking_ = false;
  if (!read.ok()) return read.status();
  last_check_ = now;
  if (!read->has_value()) return value_;  // unchanged
  if (!value->ok()) return value->status();
  value_ = **std::move(value);
  identity_ = (*read)->identity;
  loaded_ = true;
  return value_;
}

}  // namespace schedsvc::dispatch
