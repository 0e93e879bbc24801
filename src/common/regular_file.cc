#include "src/common/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace schedsvc {
namespace {

FileIdentity IdentityOf(const struct stat& st) {
  FileIdentity identity;
  identity.device = st.st_dev;
  identity.inode = st.st_ino;
  identity.size = static_cast<std::int64_t>(st.st_size);
  identity.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return identity;
}

absl::Status OsError(absl::string_view action, absl::string_view what, const std::string& path, int err) {
  return absl::UnavailableError(absl::StrCat("cannot ", action, " ", what, " ", path, ": ", std::strerror(err)));
}

}  // namespace

absl::StatusOr<RegularFileContents> ReadRegularFile(const std::string& path, std::size_t max_bytes,
                                                    absl::string_view what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return OsError("open", what, path, errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return OsError("stat", what, path, errno);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, " ", path, " is not a regular file (a FIFO, socket, device or directory)"));
  }
  const auto too_large = [&] {
    return absl::FailedPreconditionError(absl::StrCat(what, " ", path, " is larger than ", max_bytes, " bytes"));
  };
  if (st.st_size > static_cast<off_t>(max_bytes)) return too_large();
  // One byte more than the limit, so a file that grew after fstat is still caught.
  std::string contents(max_bytes + 1, '\0');
  std::size_t used = 0;
  while (used < contents.size()) {
    const ssize_t n = ::read(fd, contents.data() + used, contents.size() - used);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return OsError("read", what, path, errno);
    }
    used += static_cast<std::size_t>(n);
  }
  if (used > max_bytes) return too_large();
  contents.resize(used);
  return RegularFileContents{std::move(contents), IdentityOf(st)};
}

absl::StatusOr<std::optional<RegularFileContents>> ReadRegularFileIfChanged(const std::string& path,
                                                                           std::size_t max_bytes,
                                                                           absl::string_view what,
                                                                           const std::optional<FileIdentity>& known) {
  if (known.has_value()) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return OsError("stat", what, path, errno);
    if (IdentityOf(st) == *known) return std::nullopt;
  }
  absl::StatusOr<RegularFileContents> read = ReadRegularFile(path, max_bytes, what);
  if (!read.ok()) return read.status();
  return std::optional<RegularFileContents>(*std::move(read));
}

}  // namespace schedsvc
