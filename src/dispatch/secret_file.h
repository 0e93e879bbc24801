// SecretFile: one credential (a password, a token) read from a file, the way Kubernetes Secrets and the
// Secret Manager CSI driver mount them. The value is cached; the file is stat()ed at most once per
// `recheck_interval` (by the injected Clock) and re-read when its inode, size or mtime changed, so a
// rotated secret is picked up without a restart. The file is stat()ed and read without holding the lock,
// by one caller at a time; meanwhile other callers get the cached value (they wait only while no value
// was ever loaded), so a slow mount holds up one caller, not every thread that needs the value. The
// identity cached with a value comes from fstat on the descriptor it was read through, so it always
// describes the file actually read. One trailing newline ("\n" or "\r\n") is trimmed, as
// `echo secret > file` and `kubectl create secret --from-file` leave one. A value that still holds a CR,
// LF or NUL is refused: it would inject a header line into the backend request.
//
// Only a regular file (symlinks followed, as Kubernetes mounts secrets through them) of at most
// kMaxSizeBytes is read. The file is opened non-blocking and checked with fstat before anything is read,
// so a FIFO, socket or device put at the path is an error at once, never a read that waits forever.
//
// The contents never appear in a Status message or anywhere else this class produces: errors name the
// file path and the OS error only.
//
// Thread-safe. The Clock must outlive the object.
#ifndef SCHEDSVC_DISPATCH_SECRET_FILE_H_
#define SCHEDSVC_DISPATCH_SECRET_FILE_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/common/clock.h"
#include "src/common/regular_file.h"

namespace schedsvc::dispatch {

class SecretFile {
 public:
  // Largest credential file accepted; a larger one is an error (a secret is a few hundred bytes).
  static constexpr std::size_t kMaxSizeBytes = 64 * 1024;
  // Default stat() interval: cheap, and bounds how long a rotated secret takes to be noticed.
  static constexpr absl::Duration kDefaultRecheckInterval = absl::Seconds(1);

  // Does not touch the file; the first Value() reads it. `recheck_interval` >= 0 (0: stat on every
  // call).
  SecretFile(std::string path, const Clock& clock,
             absl::Duration recheck_interval = kDefaultRecheckInterval);

  // Returns the current value. kUnavailable naming the path when the file cannot be stat()ed, opened or
  // read (a transient state during some rotations, or a missing mount); kFailedPrecondition naming the
  // path when it is empty, larger than kMaxSizeBytes, not a regular file, or holds a CR, LF or NUL byte
  // besides the one trailing newline (it would split or cut the header it goes into). Never blocks on
  // the file.
  absl::StatusOr<std::string> Value();

  const std::string& path() const { return path_; }

 private:
  const std::string path_;
  const Clock& clock_;
  const absl::Duration recheck_interval_;

  absl::Mutex mu_;
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  std::string value_ ABSL_GUARDED_BY(mu_);
  // Identity of the file value_ was read from, by fstat on the descriptor it was read through.
  FileIdentity identity_ ABSL_GUARDED_BY(mu_);
  // A caller is stat()ing or reading the file (without the lock); the others serve value_ meanwhile.
  bool checking_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_SECRET_FILE_H_
