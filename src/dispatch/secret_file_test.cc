#include "src/dispatch/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "src/dispatch/auth_header_source.h"
#include "testing/fake_clock.h"

namespace schedsvc::dispatch {
namespace {

constexpr absl::Duration kRecheck = absl::Seconds(5);

class SecretFileTest : public ::testing::Test {
 protected:
  SecretFileTest() {
    char name[] = "/tmp/secret_file_test_XXXXXX";
    dir_ok_ = ::mkdtemp(name) != nullptr;
    dir_ = name;
  }
  ~SecretFileTest() override {
    for (const std::string& file : created_) std::remove(file.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::trunc) << contents;
    created_.push_back(path);
    return path;
  }
  // Replaces `name` atomically with new contents, as Kubernetes' secret volume update does.
  void Rotate(const std::string& name, const std::string& contents) {
    const std::string tmp = Write(name + ".new", contents);
    ASSERT_EQ(std::rename(tmp.c_str(), (dir_ + "/" + name).c_str()), 0);
  }

  bool dir_ok_ = false;
  std::string dir_;
  std::vector<std::string> created_;
  testing::FakeClock clock_;
};

TEST_F(SecretFileTest, TrimsExactlyOneTrailingNewline) {
  ASSERT_TRUE(dir_ok_);
  SecretFile lf(Write("lf", "pw\n"), clock_);
  SecretFile crlf(Write("crlf", "pw\r\n"), clock_);
  SecretFile none(Write("none", " pw "), clock_);
  EXPECT_EQ(*lf.Value(), "pw");
  EXPECT_EQ(*crlf.Value(), "pw");
  EXPECT_EQ(*none.Value(), " pw ");
}

// Each value holds a byte that would end or split an HTTP header line once the one trailing newline
// is trimmed: a token like this put an extra header into the backend request.
TEST_F(SecretFileTest, LineBreakOrNulLeftAfterTrimIsAnErrorNamingTheFileNotTheValue) {
  ASSERT_TRUE(dir_ok_);
  const std::string kSecretPart = "tok-visible";
  const std::pair<const char*, std::string> kHostile[] = {
      {"crlf-inside", kSecretPart + "\r\nX-Injected: 1"},
      {"lf-inside", kSecretPart + "\nX-Injected: 1"},
      {"cr-inside", kSecretPart + "\rX-Injected: 1"},
      {"two-newlines", kSecretPart + "\n\n"},
      {"cr-before-crlf", kSecretPart + "\r\r\n"},
      {"nul-inside", kSecretPart + std::string(1, '\0') + "tail\n"},
  };
  for (const auto& [name, contents] : kHostile) {
    SCOPED_TRACE(name);
    const std::string path = Write(name, contents);
    SecretFile secret(path, clock_);
    absl::StatusOr<std::string> value = secret.Value();
    ASSERT_FALSE(value.ok());
    EXPECT_EQ(value.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(value.status().message()), ::testing::HasSubstr(path));
    EXPECT_THAT(std::string(value.status().message()), ::testing::HasSubstr("line break or NUL"));
    EXPECT_THAT(std::string(value.status().message()), ::testing::Not(::testing::HasSubstr(kSecretPart)));
  }
}

TEST_F(SecretFileTest, RotationToAValueWithALineBreakIsAnErrorNeverTheOldValue) {
  const std::string path = Write("rotating", "good-token\n");
  SecretFile secret(path, clock_, absl::ZeroDuration());
  ASSERT_EQ(*secret.Value(), "good-token");
  Rotate("rotating", "bad-token\r\nX-Injected: 1\n");
  absl::StatusOr<std::string> value = secret.Value();
  ASSERT_FALSE(value.ok());
  EXPECT_THAT(std::string(value.status().message()), ::testing::Not(::testing::HasSubstr("token")));
}

TEST_F(SecretFileTest, PicksUpRotationAfterRecheckInterval) {
  const std::string path = Write("password", "old-password\n");
  SecretFile secret(path, clock_, kRecheck);
  EXPECT_EQ(*secret.Value(), "old-password");
  Rotate("password", "new-password-longer\n");
  // Within the interval the cached value is served without touching the file.
  clock_.AdvanceTime(kRecheck - absl::Seconds(1));
  EXPECT_EQ(*secret.Value(), "old-password");
  clock_.AdvanceTime(absl::Seconds(1));
  EXPECT_EQ(*secret.Value(), "new-password-longer");
}

TEST_F(SecretFileTest, ZeroIntervalNoticesInPlaceRewriteOfSameSize) {
  const std::string path = Write("token", "aaaa");
  SecretFile secret(path, clock_, absl::ZeroDuration());
  EXPECT_EQ(*secret.Value(), "aaaa");
  // Same size, same inode: only the mtime differs. Force a distinct mtime.
  std::ofstream(path, std::ios::trunc) << "bbbb";
  struct timespec times[2] = {{0, UTIME_OMIT}, {1'800'000'000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  EXPECT_EQ(*secret.Value(), "bbbb");
}

// Callers on several threads at once, on a fresh object and across rotations: each gets a whole value
// (the first ones wait for the first read; later ones may get the cached value while one caller reads).
TEST_F(SecretFileTest, ConcurrentCallersGetAWholeValue) {
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 200;
  const std::string path = Write("shared", "value-one\n");
  SecretFile secret(path, clock_, absl::ZeroDuration());
  std::vector<std::future<int>> bad;
  for (int t = 0; t < kThreads; ++t) {
    bad.push_back(std::async(std::launch::async, [&secret] {
      int wrong = 0;
      for (int i = 0; i < kCallsPerThread; ++i) {
        absl::StatusOr<std::string> value = secret.Value();
        if (!value.ok() || (*value != "value-one" && *value != "value-two")) ++wrong;
      }
      return wrong;
    }));
  }
  Rotate("shared", "value-two\n");
  for (auto& f : bad) EXPECT_EQ(f.get(), 0);
  EXPECT_EQ(*secret.Value(), "value-two");
}

TEST_F(SecretFileTest, MissingAndEmptyFilesAreErrorsNamingThePath) {
  SecretFile missing(dir_ + "/absent", clock_);
  absl::StatusOr<std::string> value = missing.Value();
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(value.status().message()), ::testing::HasSubstr("absent"));

  SecretFile empty(Write("empty", "\n"), clock_);
  EXPECT_EQ(empty.Value().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(SecretFileTest, ErrorAfterRotationToMissingNeverLeaksOldValue) {
  const std::string path = Write("gone", "top-secret-value\n");
  SecretFile secret(path, clock_, absl::ZeroDuration());
  ASSERT_TRUE(secret.Value().ok());
  std::remove(path.c_str());
  absl::StatusOr<std::string> value = secret.Value();
  ASSERT_FALSE(value.ok());
  EXPECT_THAT(std::string(value.status().message()),
              ::testing::Not(::testing::HasSubstr("top-secret-value")));
}

// Longest a Value() call on a non-regular file may take in these tests; it does no waiting at all.
constexpr std::chrono::seconds kPromptAnswer{5};

// Runs `secret.Value()` on another thread. If it has not returned within kPromptAnswer (it is stuck in
// open(2) waiting for a FIFO writer), the FIFO at `fifo` is opened for writing and closed, which releases
// it, so the test fails instead of hanging. Returns the value and whether it came promptly.
std::pair<absl::StatusOr<std::string>, bool> ValueOrUnblockFifo(SecretFile& secret, const std::string& fifo) {
  std::future<absl::StatusOr<std::string>> value =
      std::async(std::launch::async, [&secret] { return secret.Value(); });
  const bool prompt = value.wait_for(kPromptAnswer) == std::future_status::ready;
  if (!prompt) {
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) ::close(fd);
  }
  return {value.get(), prompt};
}

TEST_F(SecretFileTest, FifoAtThePathIsAPromptErrorNamingThePath) {
  const std::string path = dir_ + "/fifo-password";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  created_.push_back(path);
  SecretFile secret(path, clock_, absl::ZeroDuration());
  auto [value, prompt] = ValueOrUnblockFifo(secret, path);
  EXPECT_TRUE(prompt) << "Value() blocked on a FIFO nobody writes";
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(value.status().message()), ::testing::HasSubstr(path));
  EXPECT_THAT(std::string(value.status().message()), ::testing::HasSubstr("not a regular file"));
}

TEST_F(SecretFileTest, RotationToAFifoIsAPromptErrorNeverTheOldValue) {
  const std::string path = Write("rotated", "old-secret-value\n");
  SecretFile secret(path, clock_, absl::ZeroDuration());
  ASSERT_TRUE(secret.Value().ok());
  const std::string fifo = dir_ + "/rotated.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ASSERT_EQ(std::rename(fifo.c_str(), path.c_str()), 0);
  auto [value, prompt] = ValueOrUnblockFifo(secret, path);
  EXPECT_TRUE(prompt) << "Value() blocked on a FIFO nobody writes";
  ASSERT_FALSE(value.ok());
  EXPECT_THAT(std::string(value.status().message()), ::testing::Not(::testing::HasSubstr("old-secret")));
}

TEST_F(SecretFileTest, SymlinkToARegularFileIsFollowed) {
  // Kubernetes mounts each secret key as a symlink into a timestamped directory.
  const std::string target = Write("target", "linked-secret\n");
  const std::string link = dir_ + "/link";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  created_.push_back(link);
  SecretFile secret(link, clock_);
  EXPECT_EQ(*secret.Value(), "linked-secret");
}

TEST_F(SecretFileTest, DeviceOrOversizedFileIsAnErrorNamingThePath) {
  SecretFile device("/dev/zero", clock_);
  absl::StatusOr<std::string> value = device.Value();
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(value.status().message()), ::testing::HasSubstr("/dev/zero"));

  const std::string big = Write("big", std::string(SecretFile::kMaxSizeBytes + 1, 'x'));
  SecretFile oversized(big, clock_);
  value = oversized.Value();
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(value.status().message()), ::testing::HasSubstr(big));
  EXPECT_THAT(std::string(value.status().message()), ::testing::Not(::testing::HasSubstr("xxxx")));

  SecretFile at_limit(Write("limit", std::string(SecretFile::kMaxSizeBytes, 'y')), clock_);
  EXPECT_TRUE(at_limit.Value().ok());
}

TEST_F(SecretFileTest, BasicAuthHeaderFollowsRotationOfEitherFile) {
  const std::string user = Write("user", "alice\n");
  const std::string pass = Write("pass", "pw1\n");
  BasicAuthHeader header(user, pass, clock_, kRecheck);
  EXPECT_EQ(*header.HeaderValue(), "Basic " + absl::Base64Escape("alice:pw1"));
  Rotate("pass", "pw2-rotated\n");
  clock_.AdvanceTime(kRecheck);
  EXPECT_EQ(*header.HeaderValue(), "Basic " + absl::Base64Escape("alice:pw2-rotated"));
}

TEST_F(SecretFileTest, BasicUserNameWithAColonIsAnErrorNamingTheFile) {
  // RFC 7617: the user-id cannot contain ':'; "a:b" + ":" + "pw" would authenticate as user "a".
  const std::string user = Write("colon-user", "ali:ce\n");
  const std::string pass = Write("colon-pass", "pw1\n");
  BasicAuthHeader header(user, pass, clock_, kRecheck);
  absl::StatusOr<std::string> value = header.HeaderValue();
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(value.status().message()), ::testing::HasSubstr(user));
  EXPECT_THAT(std::string(value.status().message()), ::testing::HasSubstr("':'"));
  EXPECT_THAT(std::string(value.status().message()), ::testing::Not(::testing::HasSubstr("ali")));
}

TEST_F(SecretFileTest, BearerTokenWithCrLfGivesNoHeaderValue) {
  BearerAuthHeader header(Write("crlf-token", "tkn\r\nX-Injected: 1\n"), clock_, kRecheck);
  absl::StatusOr<std::string> value = header.HeaderValue();
  ASSERT_FALSE(value.ok());
  EXPECT_THAT(std::string(value.status().message()), ::testing::Not(::testing::HasSubstr("X-Injected")));
}

TEST_F(SecretFileTest, MakeAuthHeaderSourceFollowsConfig) {
  config::AuthConfig none;
  EXPECT_EQ(MakeAuthHeaderSource(none, clock_), nullptr);
  config::AuthConfig bearer;
  bearer.kind = config::AuthKind::kBearer;
  bearer.token_file = Write("bearer", "tkn\n");
  auto source = MakeAuthHeaderSource(bearer, clock_);
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(*source->HeaderValue(), "Bearer tkn");
}

}  // namespace
}  // namespace schedsvc::dispatch
