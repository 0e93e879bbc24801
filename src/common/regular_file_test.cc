#include "src/common/regular_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc {
namespace {

using ::testing::HasSubstr;

constexpr std::size_t kMaxBytes = 16;

class RegularFileTest : public ::testing::Test {
 protected:
  RegularFileTest() {
    char name[] = "/tmp/regular_file_test_XXXXXX";
    dir_ok_ = ::mkdtemp(name) != nullptr;
    dir_ = name;
  }
  ~RegularFileTest() override {
    for (const char* f : {"/file", "/fifo"}) std::remove((dir_ + f).c_str());
    ::rmdir(dir_.c_str());
  }
  std::string Write(const std::string& contents) {
    const std::string path = dir_ + "/file";
    std::ofstream(path, std::ios::trunc) << contents;
    return path;
  }
  bool dir_ok_ = false;
  std::string dir_;
};

TEST_F(RegularFileTest, ReadsAFileWithinTheLimit) {
  ASSERT_TRUE(dir_ok_);
  auto read = ReadRegularFile(Write("sixteen bytes ok"), kMaxBytes, "test file");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->contents, "sixteen bytes ok");
  EXPECT_EQ(read->identity.size, 16);
}

TEST_F(RegularFileTest, LargerThanTheLimitIsAnErrorNamingTheFileNotItsContents) {
  ASSERT_TRUE(dir_ok_);
  const std::string path = Write("seventeen bytes!!");
  auto read = ReadRegularFile(path, kMaxBytes, "test file");
  ASSERT_EQ(read.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(read.status().message(), HasSubstr("test file " + path + " is larger than 16 bytes"));
  EXPECT_THAT(read.status().message(), ::testing::Not(HasSubstr("seventeen")));
}

TEST_F(RegularFileTest, AFifoIsRefusedWithoutWaitingForAWriter) {
  ASSERT_TRUE(dir_ok_);
  const std::string path = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  // A blocking open of a FIFO would wait here for a writer forever.
  auto read = ReadRegularFile(path, kMaxBytes, "test file");
  ASSERT_EQ(read.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(read.status().message(), HasSubstr("is not a regular file"));
}

TEST_F(RegularFileTest, AMissingFileIsUnavailable) {
  ASSERT_TRUE(dir_ok_);
  auto read = ReadRegularFile(dir_ + "/missing", kMaxBytes, "test file");
  EXPECT_EQ(read.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(RegularFileTest, AnUnchangedFileIsNotReadAgainAndARewrittenOneIs) {
  ASSERT_TRUE(dir_ok_);
  const std::string path = Write("first");
  auto first = ReadRegularFileIfChanged(path, kMaxBytes, "test file", std::nullopt);
  ASSERT_TRUE(first.ok() && first->has_value());
  auto same = ReadRegularFileIfChanged(path, kMaxBytes, "test file", (*first)->identity);
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->has_value());
  Write("second, longer");  // another size: a different version whatever the mtime granularity
  auto changed = ReadRegularFileIfChanged(path, kMaxBytes, "test file", (*first)->identity);
  ASSERT_TRUE(changed.ok() && changed->has_value());
  EXPECT_EQ((*changed)->contents, "second, longer");
}

}  // namespace
}  // namespace schedsvc
