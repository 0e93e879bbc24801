#include "src/scheduler/schedule/retry_backoff.h"

#include <limits>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace schedsvc::scheduler {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

std::vector<int> BackoffSeconds(const RetryPolicy& p, int count) {
  std::vector<int> out;
  for (int i = 0; i < count; ++i) out.push_back(static_cast<int>(absl::ToInt64Seconds(BackoffForRetry(p, i))));
  return out;
}

TEST(RetryBackoffTest, MatchesGooglesDocumentedExample) {
  RetryPolicy p;
  p.min_backoff = absl::Seconds(10);
  p.max_backoff = absl::Seconds(300);
  p.max_doublings = 3;
  EXPECT_THAT(BackoffSeconds(p, 8), ElementsAreArray({10, 20, 40, 80, 160, 240, 300, 300}));
}

TEST(RetryBackoffTest, DefaultsDoubleFiveTimesThenGrowBy160sUpToOneHour) {
  const RetryPolicy p;
  EXPECT_THAT(BackoffSeconds(p, 9), ElementsAreArray({5, 10, 20, 40, 80, 160, 320, 480, 640}));
  constexpr int kLastBelowCap = 26;  // 160 s * (1 + 26 - 5) = 3520 s
  EXPECT_EQ(BackoffForRetry(p, kLastBelowCap), absl::Seconds(3520));
  EXPECT_EQ(BackoffForRetry(p, kLastBelowCap + 1), absl::Hours(1));
  EXPECT_EQ(BackoffForRetry(p, 1000), absl::Hours(1));
}

struct BackoffCase {
  std::string note;
  RetryPolicy policy;
  std::vector<int> seconds;
};

TEST(RetryBackoffTest, SequenceTable) {
  const auto policy = [](int min_s, int max_s, int doublings) {
    RetryPolicy p;
    p.min_backoff = absl::Seconds(min_s);
    p.max_backoff = absl::Seconds(max_s);
    p.max_doublings = doublings;
    return p;
  };
  const std::vector<BackoffCase> cases = {
      {"no doublings: linear from the start", policy(5, 3600, 0), {5, 10, 15, 20, 25}},
      {"one doubling", policy(5, 3600, 1), {5, 10, 20, 30, 40}},
      {"cap reached while doubling", policy(10, 50, 5), {10, 20, 40, 50, 50, 50}},
      {"min equals max", policy(30, 30, 5), {30, 30, 30}},
      {"zero backoff", policy(0, 3600, 5), {0, 0, 0}},
      {"huge doublings stop at the cap", policy(1, 3600, std::numeric_limits<int>::max()),
       {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600}},
  };
  for (const BackoffCase& c : cases) {
    SCOPED_TRACE(c.note);
    EXPECT_THAT(BackoffSeconds(c.policy, static_cast<int>(c.seconds.size())), ElementsAreArray(c.seconds));
  }
}

TEST(RetryBackoffTest, NegativeIndexIsTheFirstRetry) {
  EXPECT_EQ(BackoffForRetry(RetryPolicy{}, -3), absl::Seconds(5));
}

TEST(RetryBackoffTest, KeepsSubSecondPrecision) {
  RetryPolicy p;
  p.min_backoff = absl::Milliseconds(1500);
  EXPECT_EQ(BackoffForRetry(p, 1), absl::Seconds(3));
  EXPECT_EQ(BackoffForRetry(p, 0), absl::Milliseconds(1500));
}

struct ShouldRetryCase {
  std::string note;
  int retry_count;
  absl::Duration max_retry_duration;
  int retries_done;
  absl::Duration since_first_attempt;
  bool expected;
};

TEST(RetryBackoffTest, ShouldRetryCombinesCountAndDuration) {
  const absl::Duration zero = absl::ZeroDuration();
  const absl::Duration minute = absl::Minutes(1);
  const std::vector<ShouldRetryCase> cases = {
      {"both zero: never", 0, zero, 0, zero, false},
      {"both zero, long after: never", 0, zero, 0, absl::Hours(5), false},
      {"count only, below", 3, zero, 2, absl::Hours(10), true},
      {"count only, reached", 3, zero, 3, zero, false},
      {"count only, first failure", 1, zero, 0, zero, true},
      {"duration only, within", 0, minute, 50, absl::Seconds(59), true},
      {"duration only, reached", 0, minute, 0, minute, false},
      {"duration only, past", 0, minute, 0, absl::Minutes(2), false},
      {"both, neither reached", 2, minute, 1, absl::Seconds(10), true},
      {"both, count reached, duration not", 2, minute, 2, absl::Seconds(10), true},
      {"both, duration reached, count not", 2, minute, 1, absl::Minutes(5), true},
      {"both reached", 2, minute, 2, minute, false},
      {"both far past", 5, minute, 9, absl::Hours(1), false},
  };
  for (const ShouldRetryCase& c : cases) {
    SCOPED_TRACE(c.note);
    RetryPolicy p;
    p.retry_count = c.retry_count;
    p.max_retry_duration = c.max_retry_duration;
    EXPECT_EQ(ShouldRetry(p, c.retries_done, c.since_first_attempt), c.expected);
  }
}

struct ValidateCase {
  std::string note;
  RetryPolicy policy;
  std::string message_part;  // empty: valid
};

TEST(RetryBackoffTest, ValidatesRangesWithClearMessages) {
  const auto with = [](auto edit) {
    RetryPolicy p;
    edit(p);
    return p;
  };
  const std::vector<ValidateCase> cases = {
      {"defaults", RetryPolicy{}, ""},
      {"count 5", with([](RetryPolicy& p) { p.retry_count = 5; }), ""},
      {"count 6", with([](RetryPolicy& p) { p.retry_count = 6; }),
       "retryConfig.retryCount must be between 0 and 5, got 6"},
      {"count -1", with([](RetryPolicy& p) { p.retry_count = -1; }), "retryConfig.retryCount"},
      {"negative duration", with([](RetryPolicy& p) { p.max_retry_duration = absl::Seconds(-1); }),
       "retryConfig.maxRetryDuration must not be negative, got -1s"},
      {"negative min", with([](RetryPolicy& p) { p.min_backoff = absl::Seconds(-1); }),
       "retryConfig.minBackoffDuration must not be negative"},
      {"negative max",
       with([](RetryPolicy& p) {
         p.min_backoff = absl::Seconds(-2);
         p.max_backoff = absl::Seconds(-1);
       }),
       "retryConfig.minBackoffDuration must not be negative"},
      {"min above max",
       with([](RetryPolicy& p) {
         p.min_backoff = absl::Seconds(20);
         p.max_backoff = absl::Seconds(10);
       }),
       "retryConfig.minBackoffDuration (20s) must not exceed retryConfig.maxBackoffDuration (10s)"},
      {"negative doublings", with([](RetryPolicy& p) { p.max_doublings = -1; }),
       "retryConfig.maxDoublings must not be negative, got -1"},
      {"zero backoffs", with([](RetryPolicy& p) {
         p.min_backoff = absl::ZeroDuration();
         p.max_backoff = absl::ZeroDuration();
         p.max_doublings = 0;
       }),
       ""},
  };
  for (const ValidateCase& c : cases) {
    SCOPED_TRACE(c.note);
    const absl::Status status = ValidateRetryPolicy(c.policy);
    if (c.message_part.empty()) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(std::string(status.message()), HasSubstr(c.message_part));
    }
  }
}

}  // namespace
}  // namespace schedsvc::scheduler
