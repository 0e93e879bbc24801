// JwksFileFetcher: the JWKS document from a file (push.auth.oidc.jwks_file), e.g. a ConfigMap or a file
// the operator maintains for a private key set or for tests. The file is stat()ed on every Fetch and read
// only when its identity (device, inode, size, mtime) changed, so a replaced or rewritten file is picked
// up at the next fetch (JwksKeySource fetches a file every kJwksFileRecheckInterval). Read the way
// SecretFile reads credentials: only a regular file (symlinks followed, as Kubernetes mounts files through
// them) of at most kMaxJwksBytes, opened non-blocking and checked with fstat before a byte is read, so a
// FIFO or device at the path is an error at once, never a read that waits. Errors name the path.
//
// Not thread-safe: JwksKeySource calls Fetch from one thread at a time.
#ifndef SCHEDSVC_PUSH_JWKS_FILE_FETCHER_H_
#define SCHEDSVC_PUSH_JWKS_FILE_FETCHER_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "src/common/regular_file.h"
#include "src/push/jwks_key_source.h"

namespace schedsvc::push_internal {

// How long keys read from a file are used before the file is stat()ed again, and the least time between
// two reads after an unknown key id: a local file is cheap to look at.
inline constexpr absl::Duration kJwksFileRecheckInterval = absl::Seconds(5);

class JwksFileFetcher final : public JwksFetcher {
 public:
  explicit JwksFileFetcher(std::string path);

  // Returns the file's contents with max_age kJwksFileRecheckInterval. kUnavailable naming the path when
  // it cannot be stat()ed, opened or read (a missing mount may come back); kFailedPrecondition naming the
  // path when it is not a regular file or is larger than kMaxJwksBytes.
  absl::StatusOr<JwksDocument> Fetch() override;
  std::string Source() const override { return path_; }

 private:
  const std::string path_;
  // Which version of which file `contents_` was read from; unset before the first read.
  std::optional<FileIdentity> identity_;
  std::string contents_;
};

}  // namespace schedsvc::push_internal

#endif  // SCHEDSVC_PUSH_JWKS_FILE_FETCHER_H_
