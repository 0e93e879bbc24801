#include "src/scheduler/grpc/cloud_scheduler_grpc_service.h"

#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/scheduler/store/sqlite_job_store.h"
#include "testing/fake_clock.h"
#include "testing/fake_executor.h"

namespace schedsvc::scheduler {
namespace {

namespace v1 = ::google::cloud::scheduler::v1;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
constexpr char kParent[] = "projects/p/locations/us-central1";

class CountingRunner final : public JobRunner {
 public:
  void Start(const Job&, absl::Time, std::function<void(AttemptReport)> done) override {
    ++starts;
    done(AttemptReport{absl::OkStatus()});
  }
  int starts = 0;
};

// A CloudSchedulerGrpcService on a real gRPC server on 127.0.0.1, over SQLite in memory and a fake clock.
class CloudSchedulerGrpcServiceTest : public ::testing::Test {
 protected:
  CloudSchedulerGrpcServiceTest()
      : store_(*SqliteJobStore::Open(":memory:")),
        loop_(*store_, runner_, clock_, executor_, metrics_, logger_),
        service_(*store_, loop_, clock_, logger_) {}

  ~CloudSchedulerGrpcServiceTest() override {
    if (server_ != nullptr) server_->Shutdown();
    loop_.Shutdown(absl::ZeroDuration());
  }

  void StartServer(BearerAuth* auth) {
    grpc_service_ = std::make_unique<CloudSchedulerGrpcService>(service_, auth);
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(grpc_service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    stub_ = v1::CloudScheduler::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  static v1::Job PubsubJob(const std::string& id) {
    v1::Job job;
    job.set_name(absl::StrCat(kParent, "/jobs/", id));
    job.set_schedule("*/10 * * * *");
    job.set_time_zone("Etc/UTC");
    job.set_description("original");
    job.mutable_pubsub_target()->set_topic_name("projects/p/topics/t");
    job.mutable_pubsub_target()->set_data("hi");
    return job;
  }

  grpc::Status Create(const v1::Job& job, v1::Job* out, const std::string& token = "") {
    grpc::ClientContext ctx;
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    v1::CreateJobRequest req;
    req.set_parent(kParent);
    *req.mutable_job() = job;
    return stub_->CreateJob(&ctx, req, out);
  }

  grpc::Status Get(const std::string& id, v1::Job* out) {
    grpc::ClientContext ctx;
    v1::GetJobRequest req;
    req.set_name(absl::StrCat(kParent, "/jobs/", id));
    return stub_->GetJob(&ctx, req, out);
  }

  testing::FakeClock clock_{kT0};
  testing::FakeExecutor executor_{clock_};
  std::unique_ptr<SqliteJobStore> store_;
  CountingRunner runner_;
  SchedulerMetrics metrics_;
  std::ostringstream log_;
  JsonLogger logger_{log_, clock_};
  SchedulerLoop loop_;
  SchedulerService service_;
  std::unique_ptr<CloudSchedulerGrpcService> grpc_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::CloudScheduler::Stub> stub_;
};

TEST_F(CloudSchedulerGrpcServiceTest, CreateGetAndListWithPaging) {
  StartServer(nullptr);
  v1::Job created;
  ASSERT_TRUE(Create(PubsubJob("a"), &created).ok());
  EXPECT_EQ(created.state(), v1::Job::ENABLED);
  EXPECT_EQ(created.user_update_time().seconds(), absl::ToUnixSeconds(kT0));
  EXPECT_EQ(created.schedule_time().seconds(), absl::ToUnixSeconds(kT0) + 400);
  EXPECT_EQ(created.attempt_deadline().seconds(), 180);  // filled by the server
  ASSERT_TRUE(Create(PubsubJob("b"), &created).ok());

  v1::Job got;
  ASSERT_TRUE(Get("a", &got).ok());
  EXPECT_EQ(got.pubsub_target().data(), "hi");
  EXPECT_EQ(got.description(), "original");

  std::vector<std::string> names;
  std::string token;
  for (int page = 0; page < 5; ++page) {
    grpc::ClientContext ctx;
    v1::ListJobsRequest req;
    req.set_parent(kParent);
    req.set_page_size(1);
    req.set_page_token(token);
    v1::ListJobsResponse resp;
    ASSERT_TRUE(stub_->ListJobs(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.jobs_size(), 1);
    names.push_back(resp.jobs(0).name());
    token = resp.next_page_token();
    if (token.empty()) break;
  }
  EXPECT_THAT(names, ::testing::ElementsAre(absl::StrCat(kParent, "/jobs/a"), absl::StrCat(kParent, "/jobs/b")));
}

TEST_F(CloudSchedulerGrpcServiceTest, UpdateAppliesOnlyMaskedSnakeCasePaths) {
  StartServer(nullptr);
  v1::Job created;
  ASSERT_TRUE(Create(PubsubJob("a"), &created).ok());

  v1::Job patch;
  patch.set_name(created.name());
  patch.set_schedule("0 * * * *");
  patch.set_description("ignored: not in the mask");
  patch.mutable_retry_config()->set_retry_count(3);
  (*patch.mutable_pubsub_target()->mutable_attributes())["k"] = "v";
  grpc::ClientContext ctx;
  v1::UpdateJobRequest req;
  *req.mutable_job() = patch;
  req.mutable_update_mask()->add_paths("schedule");
  req.mutable_update_mask()->add_paths("retry_config.retry_count");
  req.mutable_update_mask()->add_paths("pubsub_target.attributes");
  v1::Job updated;
  grpc::Status s = stub_->UpdateJob(&ctx, req, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(updated.schedule(), "0 * * * *");
  EXPECT_EQ(updated.description(), "original");
  EXPECT_EQ(updated.retry_config().retry_count(), 3);
  EXPECT_EQ(updated.pubsub_target().attributes().at("k"), "v");
  EXPECT_EQ(updated.pubsub_target().data(), "hi");

  v1::Job got;
  ASSERT_TRUE(Get("a", &got).ok());
  EXPECT_EQ(got.schedule(), "0 * * * *");
  EXPECT_EQ(got.retry_config().retry_count(), 3);

  grpc::ClientContext bad_ctx;
  req.mutable_update_mask()->add_paths("no_such_field");
  s = stub_->UpdateJob(&bad_ctx, req, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CloudSchedulerGrpcServiceTest, UpdateWithoutMaskReplacesOnlySetFields) {
  StartServer(nullptr);
  v1::Job created;
  ASSERT_TRUE(Create(PubsubJob("a"), &created).ok());
  grpc::ClientContext ctx;
  v1::UpdateJobRequest req;
  req.mutable_job()->set_name(created.name());
  req.mutable_job()->set_schedule("5 4 * * *");
  v1::Job updated;
  grpc::Status s = stub_->UpdateJob(&ctx, req, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(updated.schedule(), "5 4 * * *");
  EXPECT_EQ(updated.description(), "original");  // unset in the request: kept
  EXPECT_EQ(updated.pubsub_target().data(), "hi");

  grpc::ClientContext no_name_ctx;
  req.mutable_job()->clear_name();
  EXPECT_EQ(stub_->UpdateJob(&no_name_ctx, req, &updated).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CloudSchedulerGrpcServiceTest, ErrorsKeepTheServiceCodeAndMessage) {
  StartServer(nullptr);
  v1::Job out;
  v1::Job bad = PubsubJob("bad");
  bad.set_schedule("every blue moon");
  grpc::Status s = Create(bad, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "Schedule or time zone is invalid.");

  s = Get("missing", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "Job not found.");

  ASSERT_TRUE(Create(PubsubJob("a"), &out).ok());
  EXPECT_EQ(Create(PubsubJob("a"), &out).error_code(), grpc::StatusCode::ALREADY_EXISTS);

  grpc::ClientContext resume_ctx;
  v1::ResumeJobRequest resume;
  resume.set_name(out.name());
  EXPECT_EQ(stub_->ResumeJob(&resume_ctx, resume, &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(CloudSchedulerGrpcServiceTest, CreateAndUpdateRefuseHeadersThatCouldSplitARequest) {
  StartServer(nullptr);
  v1::Job job = PubsubJob("h");
  job.clear_pubsub_target();
  job.mutable_http_target()->set_uri("http://backend.example/run");
  (*job.mutable_http_target()->mutable_headers())["X-A"] = "v\r\nX-Injected: secret";
  v1::Job out;
  grpc::Status s = Create(job, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("\"X-A\""));
  EXPECT_THAT(s.error_message(), ::testing::Not(::testing::HasSubstr("secret")));

  job.mutable_http_target()->mutable_headers()->clear();
  ASSERT_TRUE(Create(job, &out).ok());
  grpc::ClientContext ctx;
  v1::UpdateJobRequest req;
  req.mutable_job()->set_name(out.name());
  (*req.mutable_job()->mutable_http_target()->mutable_headers())["X-B\nX-Injected"] = "1";
  req.mutable_update_mask()->add_paths("http_target.headers");
  EXPECT_EQ(stub_->UpdateJob(&ctx, req, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CloudSchedulerGrpcServiceTest, PauseResumeRunAndDelete) {
  StartServer(nullptr);
  v1::Job job;
  ASSERT_TRUE(Create(PubsubJob("a"), &job).ok());
  const std::string name = job.name();
  {
    grpc::ClientContext ctx;
    v1::PauseJobRequest req;
    req.set_name(name);
    ASSERT_TRUE(stub_->PauseJob(&ctx, req, &job).ok());
    EXPECT_EQ(job.state(), v1::Job::PAUSED);
  }
  {
    grpc::ClientContext ctx;
    v1::ResumeJobRequest req;
    req.set_name(name);
    ASSERT_TRUE(stub_->ResumeJob(&ctx, req, &job).ok());
    EXPECT_EQ(job.state(), v1::Job::ENABLED);
  }
  {
    grpc::ClientContext ctx;
    v1::RunJobRequest req;
    req.set_name(name);
    ASSERT_TRUE(stub_->RunJob(&ctx, req, &job).ok());
    EXPECT_EQ(runner_.starts, 1);
  }
  {
    grpc::ClientContext ctx;
    v1::DeleteJobRequest req;
    req.set_name(name);
    google::protobuf::Empty empty;
    ASSERT_TRUE(stub_->DeleteJob(&ctx, req, &empty).ok());
  }
  EXPECT_EQ(Get("a", &job).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(CloudSchedulerGrpcServiceTest, BearerTokenIsRequiredWhenConfigured) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/grpc_token_", getpid());
  std::ofstream(path) << "s3cret\n";
  absl::StatusOr<std::unique_ptr<BearerAuth>> auth = BearerAuth::FromFile(path);
  ASSERT_TRUE(auth.ok()) << auth.status();
  StartServer(auth->get());

  v1::Job out;
  grpc::Status s = Create(PubsubJob("a"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Create(PubsubJob("a"), &out, "wrong").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  s = Create(PubsubJob("a"), &out, "s3cret");
  EXPECT_TRUE(s.ok()) << s.error_message();
  // The failed calls did not create anything: the job is created exactly once.
  EXPECT_EQ(Create(PubsubJob("a"), &out, "s3cret").error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Get("a", &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  server_->Shutdown();
  server_.reset();
  unlink(path.c_str());
}

TEST(CloudSchedulerGrpcApiTest, ServiceAndRequestsMatchThePublicApi) {
  // The official client libraries call "/google.cloud.scheduler.v1.CloudScheduler/<Method>".
  const auto* service = v1::CloudScheduler::service_full_name();
  EXPECT_STREQ(service, "google.cloud.scheduler.v1.CloudScheduler");
  EXPECT_EQ(v1::ListJobsRequest::descriptor()->FindFieldByName("page_size")->number(), 5);
  EXPECT_EQ(v1::ListJobsRequest::descriptor()->FindFieldByName("page_token")->number(), 6);
  EXPECT_EQ(v1::CreateJobRequest::descriptor()->FindFieldByName("job")->number(), 2);
  EXPECT_EQ(v1::UpdateJobRequest::descriptor()->FindFieldByName("update_mask")->number(), 2);
}

}  // namespace
}  // namespace schedsvc::scheduler
