// Reading small files that hold configuration-like data (credentials, signing keys) safely: a FIFO, socket,
// device or directory at the path is refused before a byte is read (the open never blocks), the size is
// capped, and what was read is tagged with the identity of the file it came from, so a caller can tell
// cheaply (one stat) whether the file has changed since. Errors name the file by `what` and path, never its
// contents. Free functions; thread-compatible.
#ifndef SCHEDSVC_COMMON_REGULAR_FILE_H_
#define SCHEDSVC_COMMON_REGULAR_FILE_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace schedsvc {

// Which file (device, inode) and which version of it (size, mtime): a change of any part means the file
// was replaced or rewritten.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  std::int64_t size = -1;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

struct RegularFileContents {
  std::string contents;
  // By fstat on the descriptor the contents were read through: the file actually read, even if the path
  // was replaced meanwhile.
  FileIdentity identity;
};

// Returns the contents of the regular file at `path` (symlinks followed), at most `max_bytes`.
// kUnavailable when it cannot be opened, stat()ed or read (a missing mount may come back);
// kFailedPrecondition when it is not a regular file or is larger than `max_bytes`. `what` names the file in
// errors ("secret file", "JWKS file").
absl::StatusOr<RegularFileContents> ReadRegularFile(const std::string& path, std::size_t max_bytes,
                                                    absl::string_view what);

// As ReadRegularFile, unless the file at `path` still has identity `known` (a stat() says so): then
// nullopt, and nothing is read.
absl::StatusOr<std::optional<RegularFileContents>> ReadRegularFileIfChanged(const std::string& path,
                                                                           std::size_t max_bytes,
                                                                           absl::string_view what,
                                                                           const std::optional<FileIdentity>& known);

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_REGULAR_FILE_H_
