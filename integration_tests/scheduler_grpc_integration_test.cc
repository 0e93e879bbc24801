// cloud-scheduler-emulator's gRPC API (google.cloud.scheduler.v1.CloudScheduler) driven with the generated
// stub against the real binary (--listen and --grpc-listen on free loopback ports) and the official Pub/Sub
// emulator: the job lifecycle, paging, update masks, errors, RunJob publishing, REST/gRPC seeing the same
// jobs and locations, bearer-token checks, the /emulator/v1 extensions (run history with the published
// message's id, next fire times) and a clean SIGTERM shutdown.
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/cloud/location/locations.grpc.pb.h"
#include "google/cloud/scheduler/v1/cloudscheduler.grpc.pb.h"
#include "gtest/gtest.h"
#include "integration_tests/scheduler_pubsub_target.h"
#include "nlohmann/json.hpp"
#include "src/pubsub/admin_client.h"
#include "testing/child_process.h"
#include "testing/pubsub_emulator.h"

namespace schedsvc {
namespace {

namespace v1 = ::google::cloud::scheduler::v1;
using ::testing::ElementsAre;

constexpr char kProject[] = "my-project";
constexpr char kParent[] = "projects/my-project/locations/us-central1";

// The REST client's read timeout.
constexpr int kRestReadTimeoutSeconds = 20;

std::string JobName(const std::string& id) { return absl::StrCat(kParent, "/jobs/", id); }

class SchedulerGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/sched_grpc_it_", getpid(), "_", counter_++);
    ASSERT_EQ(system(absl::StrCat("rm -rf '", dir_, "' && mkdir -p '", dir_, "'").c_str()), 0);
  }
  void TearDown() override {
    emulator_.reset();
    system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }

  // Starts cloud-scheduler-emulator with REST and gRPC on free ports, plus `extra_args`.
  void StartEmulator(const std::map<std::string, std::string>& env, std::vector<std::string> extra_args = {}) {
    const std::string binary = testing::FindBuiltBinary("cloud-scheduler-emulator");
    ASSERT_FALSE(binary.empty()) << "cloud-scheduler-emulator is not built";
    rest_port_ = testing::PickFreePort();
    grpc_port_ = testing::PickFreePort();
    std::vector<std::string> argv = {binary,
                                     "--listen",
                                     absl::StrCat("127.0.0.1:", rest_port_),
                                     "--grpc-listen",
                                     absl::StrCat("127.0.0.1:", grpc_port_),
                                     "--db",
                                     dir_ + "/jobs.db"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    absl::StatusOr<testing::ChildProcess> p = testing::ChildProcess::Start(argv, env, dir_ + "/emulator.log");
    ASSERT_TRUE(p.ok()) << p.status();
    emulator_ = std::make_unique<testing::ChildProcess>(*std::move(p));
    ASSERT_TRUE(testing::WaitForPort(rest_port_, absl::Seconds(20))) << Log();
    ASSERT_TRUE(testing::WaitForPort(grpc_port_, absl::Seconds(20))) << Log();
    stub_ = v1::CloudScheduler::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port_), grpc::InsecureChannelCredentials()));
  }

  std::string Log() { return testing::ReadFileOrEmpty(dir_ + "/emulator.log"); }

  // A client for the emulator's REST side; its read timeout makes a hung server fail the test.
  httplib::Client Rest() const {
    httplib::Client rest("127.0.0.1", rest_port_);
    rest.set_read_timeout(kRestReadTimeoutSeconds, 0);
    return rest;
  }

  // A context with a deadline, so a hung server fails the test instead of hanging it.
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }

  static v1::Job PubsubJob(const std::string& id) {
    v1::Job job;
    job.set_name(JobName(id));
    job.set_schedule("0 0 1 1 *");
    job.set_time_zone("Etc/UTC");
    job.mutable_pubsub_target()->set_topic_name(absl::StrCat("projects/", kProject, "/topics/", scheduler_it::kTopicId));
    job.mutable_pubsub_target()->set_data("payload");
    (*job.mutable_pubsub_target()->mutable_attributes())["backend"] = "demo";
    (*job.mutable_pubsub_target()->mutable_attributes())["path"] = "/run";
    return job;
  }

  grpc::Status Create(const v1::Job& job, v1::Job* out, const std::string& token = "") {
    v1::CreateJobRequest req;
    req.set_parent(kParent);
    *req.mutable_job() = job;
    return stub_->CreateJob(Context(token).get(), req, out);
  }

  grpc::Status Get(const std::string& id, v1::Job* out, const std::string& token = "") {
    v1::GetJobRequest req;
    req.set_name(JobName(id));
    return stub_->GetJob(Context(token).get(), req, out);
  }

  static inline int counter_ = 0;
  std::string dir_;
  int rest_port_ = 0;
  int grpc_port_ = 0;
  std::unique_ptr<testing::ChildProcess> emulator_;
  std::unique_ptr<v1::CloudScheduler::Stub> stub_;
};

TEST_F(SchedulerGrpcTest, JobLifecycleOverGrpcSharesJobsWithRestAndPublishes) {
  absl::StatusOr<scheduler_it::PubsubTarget> pubsub = scheduler_it::StartPubsubTarget(kProject);
  ASSERT_TRUE(pubsub.ok()) << pubsub.status();
  StartEmulator({{"PUBSUB_EMULATOR_HOST", pubsub->emulator->host_port()}});
  httplib::Client rest = Rest();

  // Create and get.
  v1::Job p1;
  grpc::Status st = Create(PubsubJob("p1"), &p1);
  ASSERT_TRUE(st.ok()) << st.error_message() << Log();
  EXPECT_EQ(p1.state(), v1::Job::ENABLED);
  EXPECT_GT(p1.user_update_time().seconds(), 0);
  EXPECT_GT(p1.schedule_time().seconds(), 0);
  v1::Job got;
  ASSERT_TRUE(Get("p1", &got).ok());
  EXPECT_EQ(got.pubsub_target().data(), "payload");
  EXPECT_EQ(got.pubsub_target().attributes().at("path"), "/run");
  v1::Job p2;
  ASSERT_TRUE(Create(PubsubJob("p2"), &p2).ok());

  // Errors: the REST codes and messages.
  v1::Job bad = PubsubJob("bad");
  bad.set_schedule("61 * * * *");
  v1::Job out;
  st = Create(bad, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "Schedule or time zone is invalid.");
  st = Get("missing", &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "Job not found.");
  EXPECT_EQ(Create(PubsubJob("p1"), &out).error_code(), grpc::StatusCode::ALREADY_EXISTS);

  // List one job per page, following the tokens.
  std::vector<std::string> names;
  std::string token;
  int pages = 0;
  for (; pages < 5; ++pages) {
    v1::ListJobsRequest req;
    req.set_parent(kParent);
    req.set_page_size(1);
    req.set_page_token(token);
    v1::ListJobsResponse resp;
    ASSERT_TRUE(stub_->ListJobs(Context().get(), req, &resp).ok());
    ASSERT_LE(resp.jobs_size(), 1);
    for (const v1::Job& j : resp.jobs()) names.push_back(j.name());
    token = resp.next_page_token();
    if (token.empty()) break;
  }
  EXPECT_THAT(names, ElementsAre(JobName("p1"), JobName("p2")));
  EXPECT_GE(pages, 1);  // at least one token was followed

  // Update with a mask: the masked fields change, the unmasked time_zone in the body is ignored.
  v1::UpdateJobRequest update;
  update.mutable_job()->set_name(JobName("p1"));
  update.mutable_job()->set_schedule("*/30 * * * *");
  update.mutable_job()->set_description("every half hour");
  update.mutable_job()->set_time_zone("America/New_York");
  update.mutable_update_mask()->add_paths("schedule");
  update.mutable_update_mask()->add_paths("description");
  v1::Job updated;
  st = stub_->UpdateJob(Context().get(), update, &updated);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(updated.schedule(), "*/30 * * * *");
  EXPECT_EQ(updated.description(), "every half hour");
  EXPECT_EQ(updated.time_zone(), "Etc/UTC");
  EXPECT_EQ(updated.pubsub_target().data(), "payload");

  // The gRPC update is what REST sees.
  httplib::Result r = rest.Get(absl::StrCat("/v1/", JobName("p1")));
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  ASSERT_EQ(r->status, 200) << r->body;
  nlohmann::json rest_job = nlohmann::json::parse(r->body);
  EXPECT_EQ(rest_job["schedule"], "*/30 * * * *");
  EXPECT_EQ(rest_job["description"], "every half hour");

  // Pause and resume change the state, for both APIs.
  v1::PauseJobRequest pause;
  pause.set_name(JobName("p1"));
  ASSERT_TRUE(stub_->PauseJob(Context().get(), pause, &out).ok());
  EXPECT_EQ(out.state(), v1::Job::PAUSED);
  r = rest.Get(absl::StrCat("/v1/", JobName("p1")));
  ASSERT_TRUE(r);
  EXPECT_EQ(nlohmann::json::parse(r->body)["state"], "PAUSED");
  EXPECT_EQ(stub_->PauseJob(Context().get(), pause, &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  v1::ResumeJobRequest resume;
  resume.set_name(JobName("p1"));
  ASSERT_TRUE(stub_->ResumeJob(Context().get(), resume, &out).ok());
  EXPECT_EQ(out.state(), v1::Job::ENABLED);

  // RunJob publishes the job's data and attributes.
  v1::RunJobRequest run;
  run.set_name(JobName("p1"));
  ASSERT_TRUE(stub_->RunJob(Context().get(), run, &out).ok());
  std::vector<google::pubsub::v1::ReceivedMessage> msgs;
  for (int i = 0; i < 80 && msgs.empty(); ++i) {
    absl::StatusOr<std::vector<google::pubsub::v1::ReceivedMessage>> pulled = pubsub->admin->Pull(pubsub->subscription, 10);
    ASSERT_TRUE(pulled.ok()) << pulled.status();
    msgs = *pulled;
    if (msgs.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_EQ(msgs.size(), 1u) << Log();
  EXPECT_EQ(msgs[0].message().data(), "payload");
  EXPECT_EQ(msgs[0].message().attributes().size(), 2u);
  EXPECT_EQ(msgs[0].message().attributes().at("backend"), "demo");
  EXPECT_EQ(msgs[0].message().attributes().at("path"), "/run");

  // A job created over REST is visible over gRPC, and a gRPC delete is visible over REST.
  const nlohmann::json body = {{"name", JobName("r1")},
                               {"schedule", "*/5 * * * *"},
                               {"pubsubTarget", {{"topicName", pubsub->topic}, {"data", absl::Base64Escape("rest")}}}};
  r = rest.Post(absl::StrCat("/v1/", kParent, "/jobs"), body.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(Get("r1", &got).ok());
  EXPECT_EQ(got.pubsub_target().data(), "rest");
  EXPECT_EQ(got.state(), v1::Job::ENABLED);
  v1::DeleteJobRequest del;
  del.set_name(JobName("r1"));
  google::protobuf::Empty empty;
  ASSERT_TRUE(stub_->DeleteJob(Context().get(), del, &empty).ok());
  r = rest.Get(absl::StrCat("/v1/", JobName("r1")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);

  // Locations over gRPC list what REST lists.
  auto locations = google::cloud::location::Locations::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port_), grpc::InsecureChannelCredentials()));
  google::cloud::location::ListLocationsRequest list_locations;
  list_locations.set_name(absl::StrCat("projects/", kProject));
  google::cloud::location::ListLocationsResponse grpc_locations;
  ASSERT_TRUE(locations->ListLocations(Context().get(), list_locations, &grpc_locations).ok());
  r = rest.Get(absl::StrCat("/v1/projects/", kProject, "/locations"));
  ASSERT_TRUE(r);
  const nlohmann::json rest_locations = nlohmann::json::parse(r->body)["locations"];
  ASSERT_EQ(static_cast<size_t>(grpc_locations.locations_size()), rest_locations.size());
  ASSERT_GT(rest_locations.size(), 0u);
  for (size_t i = 0; i < rest_locations.size(); ++i) {
    EXPECT_EQ(grpc_locations.locations(static_cast<int>(i)).name(), rest_locations[i]["name"]);
    EXPECT_EQ(grpc_locations.locations(static_cast<int>(i)).location_id(), rest_locations[i]["locationId"]);
  }

  // SIGTERM stops both servers cleanly and promptly, even with our client's channel still connected.
  const auto stop_start = std::chrono::steady_clock::now();
  const int wait_status = emulator_->Stop(SIGTERM, absl::Seconds(15));
  EXPECT_LT(std::chrono::steady_clock::now() - stop_start, std::chrono::seconds(4));
  ASSERT_TRUE(WIFEXITED(wait_status)) << Log();
  EXPECT_EQ(WEXITSTATUS(wait_status), 0) << Log();
  EXPECT_FALSE(testing::WaitForPort(grpc_port_, absl::Milliseconds(200)));
}

// The emulator extensions over real HTTP: `jobs run` (the REST :run gcloud calls) publishes a message
// whose id the run history reports, and nextScheduleTimes answers in the job's zone.
TEST_F(SchedulerGrpcTest, ExtensionsReportTheRunsMessageIdAndTheNextFireTimes) {
  constexpr int kPullTries = 80;
  constexpr int kHistoryTries = 80;
  constexpr auto kPollInterval = std::chrono::milliseconds(250);
  constexpr int kNextTimes = 3;
  absl::StatusOr<scheduler_it::PubsubTarget> pubsub = scheduler_it::StartPubsubTarget(kProject);
  ASSERT_TRUE(pubsub.ok()) << pubsub.status();
  StartEmulator({{"PUBSUB_EMULATOR_HOST", pubsub->emulator->host_port()}});
  httplib::Client rest = Rest();
  v1::Job job = PubsubJob("x1");
  job.set_schedule("30 2 * * *");
  job.set_time_zone("Europe/Berlin");
  v1::Job created;
  ASSERT_TRUE(Create(job, &created).ok()) << Log();
  const std::string extension = absl::StrCat("/emulator/v1/", JobName("x1"));

  // No run yet.
  httplib::Result r = rest.Get(extension + "/runs");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(nlohmann::json::parse(r->body)["runs"].size(), 0u);

  r = rest.Post(absl::StrCat("/v1/", JobName("x1"), ":run"), "{}", "application/json");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  ASSERT_EQ(r->status, 200) << r->body;
  std::vector<google::pubsub::v1::ReceivedMessage> msgs;
  for (int i = 0; i < kPullTries && msgs.empty(); ++i) {
    absl::StatusOr<std::vector<google::pubsub::v1::ReceivedMessage>> pulled = pubsub->admin->Pull(pubsub->subscription, 10);
    ASSERT_TRUE(pulled.ok()) << pulled.status();
    msgs = *pulled;
    if (msgs.empty()) std::this_thread::sleep_for(kPollInterval);
  }
  ASSERT_EQ(msgs.size(), 1u) << Log();
  const std::string pulled_id = msgs[0].message().message_id();
  ASSERT_FALSE(pulled_id.empty());

  // The outcome is written after the publish answers: poll the history until it shows.
  nlohmann::json runs;
  for (int i = 0; i < kHistoryTries; ++i) {
    r = rest.Get(extension + "/runs?pageSize=5");
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    ASSERT_EQ(r->status, 200) << r->body;
    runs = nlohmann::json::parse(r->body)["runs"];
    if (!runs.empty()) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  ASSERT_EQ(runs.size(), 1u) << runs << Log();
  EXPECT_EQ(runs[0]["messageId"], pulled_id);
  EXPECT_EQ(runs[0]["manual"], true);
  EXPECT_EQ(runs[0]["attempt"], 0);
  EXPECT_EQ(runs[0]["status"]["code"], 0);

  r = rest.Get(absl::StrCat(extension, "/nextScheduleTimes?count=", kNextTimes));
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  ASSERT_EQ(r->status, 200) << r->body;
  const nlohmann::json next = nlohmann::json::parse(r->body);
  EXPECT_EQ(next["timeZone"], "Europe/Berlin");
  ASSERT_EQ(next["scheduleTimes"].size(), static_cast<size_t>(kNextTimes));
  for (const nlohmann::json& t : next["scheduleTimes"]) {
    // 02:30 local, or 03:00 on a spring-forward day; either way an offset of Berlin's.
    EXPECT_THAT(t["localTime"].get<std::string>(), ::testing::MatchesRegex(".*T0(2:30|3:00):00\\+0[12]:00"));
    EXPECT_THAT(t["time"].get<std::string>(), ::testing::EndsWith("Z"));
  }

  // Errors in Google's shape.
  r = rest.Get(extension + "/runs?pageSize=101");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"]["status"], "INVALID_ARGUMENT");
  r = rest.Get(absl::StrCat("/emulator/v1/", JobName("missing"), "/nextScheduleTimes"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"]["message"], "Job not found.");
}

TEST_F(SchedulerGrpcTest, BearerTokenGuardsGrpcAsItGuardsRest) {
  std::ofstream(dir_ + "/token") << "grpc-secret\n";
  StartEmulator({}, {"--auth-token-file", dir_ + "/token"});
  v1::Job out;
  grpc::Status st = Create(PubsubJob("a"), &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Create(PubsubJob("a"), &out, "not-it").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  st = Create(PubsubJob("a"), &out, "grpc-secret");
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Get("a", &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Get("a", &out, "grpc-secret").ok());

  // The REST extensions need the token too.
  httplib::Client rest = Rest();
  for (const std::string& path : {absl::StrCat("/emulator/v1/", JobName("a"), "/runs"),
                                   absl::StrCat("/emulator/v1/", JobName("a"), "/nextScheduleTimes")}) {
    httplib::Result r = rest.Get(path);
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_EQ(nlohmann::json::parse(r->body)["error"]["status"], "UNAUTHENTICATED") << path;
    r = rest.Get(path, {{"Authorization", "Bearer grpc-secret"}});
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 200) << path << r->body;
  }
}

TEST_F(SchedulerGrpcTest, RefusesGrpcOffLoopbackWithoutAToken) {
  absl::StatusOr<testing::ChildProcess> p = testing::ChildProcess::Start(
      {testing::FindBuiltBinary("cloud-scheduler-emulator"), "--listen", "127.0.0.1:0", "--grpc-listen",
       "0.0.0.0:0", "--db", dir_ + "/jobs.db"},
      {}, dir_ + "/emulator.log");
  ASSERT_TRUE(p.ok()) << p.status();
  const int wait_status = p->Wait(absl::Seconds(20));
  ASSERT_TRUE(WIFEXITED(wait_status)) << Log();
  EXPECT_EQ(WEXITSTATUS(wait_status), 2);
  EXPECT_THAT(Log(), ::testing::HasSubstr("refusing to listen off loopback"));
}

}  // namespace
}  // namespace schedsvc
