#include "src/dispatch/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

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
  SecretFile two(Write("two", "pw\n\n"), clock_);
  SecretFile none(Write("none", " pw "), clock_);
  EXPECT_EQ(*lf.Value(), "pw");
  EXPECT_EQ(*crlf.Value(), "pw");
  EXPECT_EQ(*two.Value(), "pw\n");
  EXPECT_EQ(*none.Value(), " pw ");
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

TEST_F(SecretFileTest, BasicAuthHeaderFollowsRotationOfEitherFile) {
  const std::string user = Write("user", "alice\n");
  const std::string pass = Write("pass", "pw1\n");
  BasicAuthHeader header(user, pass, clock_, kRecheck);
  EXPECT_EQ(*header.HeaderValue(), "Basic " + absl::Base64Escape("alice:pw1"));
  Rotate("pass", "pw2-rotated\n");
  clock_.AdvanceTime(kRecheck);
  EXPECT_EQ(*header.HeaderValue(), "Basic " + absl::Base64Escape("alice:pw2-rotated"));
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
