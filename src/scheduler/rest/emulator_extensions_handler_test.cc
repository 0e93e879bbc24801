#include "src/scheduler/rest/emulator_extensions_handler.h"

#include <httplib.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/scheduler/json_time.h"
#include "src/scheduler/store/sqlite_job_store.h"
#include "testing/fake_clock.h"
#include "testing/fake_executor.h"
#include "src/common/http_server_limits.h"

namespace schedsvc::scheduler {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kParent[] = "projects/p/locations/us-central1";
constexpr char kJobId[] = "j";
constexpr char kMessageId[] = "17";
constexpr int kClientTimeoutSeconds = 10;

absl::Time At(const std::string& rfc3339) { return *ParseJsonTimestamp(rfc3339); }

// Completes every attempt at once; publishes answer kMessageId.
class InstantRunner final : public JobRunner {
 public:
  void Start(const Job&, absl::Time, std::function<void(AttemptReport)> done) override {
    done(AttemptReport{absl::OkStatus(), kMessageId});
  }
};

// The handler on a real loopback httplib server, over SQLite in memory, a fake clock and a fake executor.
class EmulatorExtensionsHandlerTest : public ::testing::Test {
 protected:
  EmulatorExtensionsHandlerTest()
      : store_(*SqliteJobStore::Open(":memory:")),
        loop_(*store_, runner_, clock_, executor_, metrics_, logger_),
        service_(*store_, loop_, clock_, logger_),
        handler_(service_, clock_) {}

  void SetUp() override {
    ASSERT_TRUE(loop_.Start().ok());
    handler_.Register(server_);
    const int port = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port, 0);
    thread_ = ServeInBackground(server_);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port);
    client_->set_read_timeout(kClientTimeoutSeconds, 0);
  }
  void TearDown() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
    loop_.Shutdown(absl::ZeroDuration());
  }

  Job CreateJob(const std::string& schedule, const std::string& time_zone) {
    JobRequest request;
    request.job.set_name(absl::StrCat(kParent, "/jobs/", kJobId));
    request.job.set_schedule(schedule);
    request.job.set_time_zone(time_zone);
    request.job.mutable_pubsub_target()->set_topic_name("projects/p/topics/t");
    request.job.mutable_pubsub_target()->set_data("d");
    absl::StatusOr<Job> job = service_.CreateJob(kParent, std::move(request));
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? *job : Job();
  }

  // GETs `path` under the job's extension prefix; returns the status and the parsed body.
  std::pair<int, json> Get(const std::string& path) {
    httplib::Result r = client_->Get(absl::StrCat("/emulator/v1/", kParent, "/jobs/", path));
    if (!r) {
      ADD_FAILURE() << httplib::to_string(r.error());
      return {0, json()};
    }
    EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("application/json"));
    return {r->status, json::parse(r->body, nullptr, /*allow_exceptions=*/false)};
  }

  testing::FakeClock clock_{At("2026-03-27T12:00:00Z")};
  testing::FakeExecutor executor_{clock_};
  std::unique_ptr<SqliteJobStore> store_;
  InstantRunner runner_;
  SchedulerMetrics metrics_;
  std::ostringstream log_;
  JsonLogger logger_{log_, clock_};
  SchedulerLoop loop_;
  SchedulerService service_;
  EmulatorExtensionsHandler handler_;
  httplib::Server server_;
  std::thread thread_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(EmulatorExtensionsHandlerTest, RunsNewestFirstWithMessageIdAndManualFlag) {
  Job job = CreateJob("0 * * * *", "Etc/UTC");
  auto [status, body] = Get(absl::StrCat(kJobId, "/runs"));
  ASSERT_EQ(status, 200) << body;
  EXPECT_EQ(body, json::parse(R"({"runs":[]})"));
  // A scheduled run at 13:00, then a manual one a minute later.
  executor_.AdvanceTime(absl::Hours(1));
  clock_.AdvanceTime(absl::Minutes(1));
  ASSERT_TRUE(service_.RunJob(job.name()).ok());
  executor_.RunReady();
  std::tie(status, body) = Get(absl::StrCat(kJobId, "/runs"));
  ASSERT_EQ(status, 200) << body;
  EXPECT_EQ(body, json::parse(absl::StrCat(R"({"runs":[
    {"scheduleTime":"2026-03-27T13:01:00Z","attemptTime":"2026-03-27T13:01:00Z","attempt":0,"manual":true,
     "status":{"code":0,"message":""},"messageId":")", kMessageId, R"("},
    {"scheduleTime":"2026-03-27T13:00:00Z","attemptTime":"2026-03-27T13:00:00Z","attempt":0,"manual":false,
     "status":{"code":0,"message":""},"messageId":")", kMessageId, R"("}]})")));
  std::tie(status, body) = Get(absl::StrCat(kJobId, "/runs?pageSize=1"));
  ASSERT_EQ(status, 200) << body;
  ASSERT_EQ(body["runs"].size(), 1u);
  EXPECT_EQ(body["runs"][0]["manual"], true);
}

TEST(RunRecordToJsonTest, FailedAttemptHasStatusAndNoMessageId) {
  RunRecord failed{absl::StrCat(kParent, "/jobs/", kJobId), At("2026-03-27T13:00:00Z"),
                   At("2026-03-27T13:00:01Z"), 1, static_cast<int>(absl::StatusCode::kUnavailable), "503"};
  EXPECT_EQ(RunRecordToJson(failed), json::parse(R"({"scheduleTime":"2026-03-27T13:00:00Z",
    "attemptTime":"2026-03-27T13:00:01Z","attempt":1,"manual":false,"status":{"code":14,"message":"503"}})"));
}

TEST_F(EmulatorExtensionsHandlerTest, RunsPageSizeBoundsAndUnknownJob) {
  CreateJob("0 * * * *", "Etc/UTC");
  for (const char* bad : {"0", "101", "-1", "x", ""}) {
    auto [status, body] = Get(absl::StrCat(kJobId, "/runs?pageSize=", bad));
    EXPECT_EQ(status, 400) << bad;
    EXPECT_EQ(body["error"]["status"], "INVALID_ARGUMENT") << bad;
    EXPECT_THAT(body["error"]["message"].get<std::string>(), HasSubstr("pageSize")) << bad;
  }
  for (const char* good : {"1", "100"}) EXPECT_EQ(Get(absl::StrCat(kJobId, "/runs?pageSize=", good)).first, 200);
  auto [status, body] = Get("missing/runs");
  EXPECT_EQ(status, 404);
  EXPECT_EQ(body["error"]["message"], "Job not found.");
  EXPECT_EQ(body["error"]["status"], "NOT_FOUND");
}

TEST_F(EmulatorExtensionsHandlerTest, NextScheduleTimesInTheJobsZoneAcrossDst) {
  CreateJob("30 2 * * *", "Europe/Berlin");
  auto [status, body] = Get(absl::StrCat(kJobId, "/nextScheduleTimes?count=3"));
  ASSERT_EQ(status, 200) << body;
  EXPECT_EQ(body, json::parse(R"({"timeZone":"Europe/Berlin","scheduleTimes":[
    {"time":"2026-03-28T01:30:00Z","localTime":"2026-03-28T02:30:00+01:00"},
    {"time":"2026-03-29T01:00:00Z","localTime":"2026-03-29T03:00:00+02:00"},
    {"time":"2026-03-30T00:30:00Z","localTime":"2026-03-30T02:30:00+02:00"}]})"));
  std::tie(status, body) = Get(absl::StrCat(kJobId, "/nextScheduleTimes"));
  ASSERT_EQ(status, 200) << body;
  EXPECT_EQ(body["scheduleTimes"].size(), static_cast<size_t>(kDefaultNextScheduleTimes));
}

TEST_F(EmulatorExtensionsHandlerTest, NextScheduleTimesOfAPausedJobAreItsTimesOnceResumed) {
  Job job = CreateJob("0 9 * * *", "America/New_York");
  auto [status, enabled] = Get(absl::StrCat(kJobId, "/nextScheduleTimes?count=2"));
  ASSERT_EQ(status, 200) << enabled;
  ASSERT_TRUE(service_.PauseJob(job.name()).ok());
  auto [paused_status, paused] = Get(absl::StrCat(kJobId, "/nextScheduleTimes?count=2"));
  ASSERT_EQ(paused_status, 200) << paused;
  EXPECT_EQ(paused, enabled);
  EXPECT_EQ(paused["scheduleTimes"][0]["localTime"], "2026-03-27T09:00:00-04:00");
}

TEST_F(EmulatorExtensionsHandlerTest, NextScheduleTimesCountBoundsAndUnknownJob) {
  CreateJob("0 * * * *", "Etc/UTC");
  for (const char* bad : {"0", "101", "ten"}) {
    auto [status, body] = Get(absl::StrCat(kJobId, "/nextScheduleTimes?count=", bad));
    EXPECT_EQ(status, 400) << bad;
    EXPECT_THAT(body["error"]["message"].get<std::string>(), HasSubstr("count")) << bad;
  }
  auto [status, body] = Get(absl::StrCat(kJobId, "/nextScheduleTimes?count=100"));
  ASSERT_EQ(status, 200);
  EXPECT_EQ(body["scheduleTimes"].size(), 100u);
  EXPECT_EQ(Get("missing/nextScheduleTimes").first, 404);
}

}  // namespace
}  // namespace schedsvc::scheduler
