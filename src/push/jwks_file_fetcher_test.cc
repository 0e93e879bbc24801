#include "src/push/jwks_file_fetcher.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace schedsvc::push_internal {
namespace {

using ::testing::HasSubstr;

constexpr char kFirst[] = R"({"keys": []})";
constexpr char kSecond[] = R"({"keys": [ ]})";

class JwksFileFetcherTest : public ::testing::Test {
 protected:
  JwksFileFetcherTest() {
    char name[] = "/tmp/jwks_file_fetcher_test_XXXXXX";
    dir_ok_ = ::mkdtemp(name) != nullptr;
    dir_ = name;
  }
  ~JwksFileFetcherTest() override {
    for (const std::string& file : created_) std::remove(file.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::trunc) << contents;
    created_.push_back(path);
    return path;
  }

  bool dir_ok_ = false;
  std::string dir_;
  std::vector<std::string> created_;
};

TEST_F(JwksFileFetcherTest, ReadsTheFileAndRereadsItWhenItChanges) {
  ASSERT_TRUE(dir_ok_);
  JwksFileFetcher fetcher(Write("jwks.json", kFirst));
  absl::StatusOr<JwksDocument> doc = fetcher.Fetch();
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->body, kFirst);
  EXPECT_EQ(doc->max_age, kJwksFileRecheckInterval);
  // Replaced atomically, as a ConfigMap update does: a new inode.
  const std::string replacement = Write("jwks.json.new", kSecond);
  ASSERT_EQ(std::rename(replacement.c_str(), (dir_ + "/jwks.json").c_str()), 0);
  EXPECT_EQ(fetcher.Fetch()->body, kSecond);
}

TEST_F(JwksFileFetcherTest, AMissingFileIsUnavailableNamingThePath) {
  ASSERT_TRUE(dir_ok_);
  const std::string path = dir_ + "/absent.json";
  absl::StatusOr<JwksDocument> doc = JwksFileFetcher(path).Fetch();
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(doc.status().message(), HasSubstr(path));
}

TEST_F(JwksFileFetcherTest, AFifoOrDirectoryIsRefusedWithoutBlocking) {
  ASSERT_TRUE(dir_ok_);
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  created_.push_back(fifo);
  for (const std::string& path : {fifo, dir_}) {
    absl::StatusOr<JwksDocument> doc = JwksFileFetcher(path).Fetch();
    EXPECT_EQ(doc.status().code(), absl::StatusCode::kFailedPrecondition) << path;
    EXPECT_THAT(doc.status().message(), HasSubstr("not a regular file"));
  }
}

TEST_F(JwksFileFetcherTest, AFileLargerThanTheCapIsRefused) {
  ASSERT_TRUE(dir_ok_);
  const std::string path = Write("big.json", std::string(kMaxJwksBytes + 1, ' '));
  absl::StatusOr<JwksDocument> doc = JwksFileFetcher(path).Fetch();
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(doc.status().message(), HasSubstr(path));
}

}  // namespace
}  // namespace schedsvc::push_internal
