#include "src/dispatch/secret_file.h"

#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace schedsvc::dispatch {

namespace {

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
  absl::StatusOr<std::optional<RegularFileContents>> read =
      ReadRegularFileIfChanged(path_, kMaxSizeBytes, "secret file", known);
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
