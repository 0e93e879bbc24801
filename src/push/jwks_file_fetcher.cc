#include "src/push/jwks_file_fetcher.h"

#include <optional>
#include <utility>

#include "src/common/regular_file.h"

namespace schedsvc::push_internal {

JwksFileFetcher::JwksFileFetcher(std::string path) : path_(std::move(path)) {}

absl::StatusOr<JwksDocument> JwksFileFetcher::Fetch() {
  absl::StatusOr<std::optional<RegularFileContents>> read =
      ReadRegularFileIfChanged(path_, kMaxJwksBytes, "JWKS file", identity_);
  if (!read.ok()) return read.status();
  if (read->has_value()) {
    contents_ = std::move((*read)->contents);
    identity_ = (*read)->identity;
  }
  return JwksDocument{contents_, kJwksFileRecheckInterval};
}

}  // namespace schedsvc::push_internal
