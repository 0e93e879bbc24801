// cloud-scheduler-emulator against hostile and careless clients (issue 12), the real binary on loopback:
// headers that would split a target's request are refused over REST; oversized request bodies are refused
// without being buffered (REST and gRPC); and a hundred slow clients do not starve /healthz.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/cloud/scheduler/v1/cloudscheduler.grpc.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/child_process.h"

namespace schedsvc {
namespace {

namespace v1 = ::google::cloud::scheduler::v1;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kJobs[] = "/v1/projects/p/locations/us-central1/jobs";
constexpr char kParent[] = "projects/p/locations/us-central1";
// A job body twice Cloud Scheduler's 1 MB job limit, and one just over it but under the request limit.
constexpr std::size_t kTwoMegabytes = 2'000'000;
constexpr std::size_t kJustOverOneMebibyte = 1'100'000;
// The declared size of a garbage upload, and how much of it the test actually sends.
constexpr std::size_t kHugeDeclaredBytes = 300'000'000;
constexpr std::size_t kHugeSentBytes = 64 * 1024 * 1024;
// What the emulator's peak RSS may grow by while refusing those bodies.
constexpr long kMaxRssGrowthKib = 64 * 1024;
// Slow clients: how many, how often each sends a header fragment, and for how long.
constexpr int kSlowClients = 100;
constexpr auto kTrickleInterval = std::chrono::seconds(1);
constexpr int kTrickles = 12;
// How long /healthz may take while they trickle.
constexpr auto kHealthzTimeout = std::chrono::seconds(3);

class SchedulerEdgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/sched_edge_it_", getpid());
    ASSERT_EQ(system(absl::StrCat("rm -rf '", dir_, "' && mkdir -p '", dir_, "'").c_str()), 0);
    const std::string binary = testing::FindBuiltBinary("cloud-scheduler-emulator");
    ASSERT_FALSE(binary.empty()) << "cloud-scheduler-emulator is not built";
    port_ = testing::PickFreePort();
    grpc_port_ = testing::PickFreePort();
    absl::StatusOr<testing::ChildProcess> p = testing::ChildProcess::Start(
        {binary, "--listen", absl::StrCat("127.0.0.1:", port_), "--grpc-listen",
         absl::StrCat("127.0.0.1:", grpc_port_), "--db", dir_ + "/jobs.db"},
        {}, dir_ + "/emulator.log");
    ASSERT_TRUE(p.ok()) << p.status();
    emulator_ = std::make_unique<testing::ChildProcess>(*std::move(p));
    ASSERT_TRUE(testing::WaitForPort(port_, absl::Seconds(20))) << Log();
    ASSERT_TRUE(testing::WaitForPort(grpc_port_, absl::Seconds(20))) << Log();
  }
  void TearDown() override {
    emulator_.reset();
    system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }

  std::string Log() { return testing::ReadFileOrEmpty(dir_ + "/emulator.log"); }

  // Returns a /proc/PID/status field of the emulator in KiB (-1 if absent).
  long StatusKib(const std::string& field) {
    std::ifstream in(absl::StrCat("/proc/", emulator_->pid(), "/status"));
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    }
    return -1;
  }

  static std::string HttpJob(const std::string& id, const std::string& headers_json,
                             const std::string& body = "") {
    return absl::StrCat(R"({"name":")", kParent, "/jobs/", id,
                        R"(","schedule":"0 0 1 1 *","httpTarget":{"uri":"http://127.0.0.1:9/x",)",
                        R"("httpMethod":"POST","headers":)", headers_json, R"(,"body":")",
                        absl::Base64Escape(body), R"("}})");
  }

  // Opens a TCP connection to the REST port; -1 on failure.
  int Connect() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  std::string dir_;
  int port_ = 0;
  int grpc_port_ = 0;
  std::unique_ptr<testing::ChildProcess> emulator_;
};

// A path whose escapes decode to bytes that are not UTF-8 (one GET from any web page can send it) is an
// error answer naming the path, not an exception out of the JSON writer that ends the process.
TEST_F(SchedulerEdgeTest, PathsThatAreNotUtf8AreErrorsNotACrash) {
  httplib::Client client("127.0.0.1", port_);
  for (const char* path : {"/%FF", "/v1/%FF", "/v1/projects/p/locations/us-central1/jobs/%FF%FE",
                           "/emulator/v1/projects/p/locations/us-central1/jobs/%C0/runs"}) {
    auto r = client.Get(path);
    ASSERT_TRUE(r) << path << ": no answer; log:\n" << Log();
    EXPECT_GE(r->status, 400) << path;
    EXPECT_TRUE(nlohmann::json::accept(r->body)) << path << ": " << r->body;
  }
  auto alive = client.Get(kJobs);
  ASSERT_TRUE(alive) << "the emulator stopped answering; log:\n" << Log();
  EXPECT_EQ(alive->status, 200);
}

TEST_F(SchedulerEdgeTest, RestCreateAndUpdateRefuseHeadersThatWouldSplitTheRequest) {
  httplib::Client api("127.0.0.1", port_);
  httplib::Result r = api.Post(kJobs, HttpJob("split", R"({"X-A":"v\r\nX-Injected: s3cret"})"),
                               "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  const nlohmann::json error = nlohmann::json::parse(r->body, nullptr, false);
  ASSERT_TRUE(error.is_object()) << r->body;
  EXPECT_EQ(error["error"]["status"], "INVALID_ARGUMENT");
  EXPECT_THAT(error["error"]["message"].get<std::string>(), HasSubstr("\"X-A\""));
  EXPECT_THAT(r->body, Not(HasSubstr("s3cret")));
  r = api.Post(kJobs, HttpJob("badname", R"({"X A":"1"})"), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  r = api.Get(absl::StrCat(kJobs, "/split"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);

  // The same rules on update.
  r = api.Post(kJobs, HttpJob("fine", R"({"X-A":"1"})"), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  r = api.Patch(absl::StrCat(kJobs, "/fine?updateMask=httpTarget.headers"),
                R"({"httpTarget":{"headers":{"X-A":"v
X-Injected: s3cret"}}})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_THAT(r->body, Not(HasSubstr("s3cret")));
}

// A name that merely reads like loopback is judged by what it resolves to: without a token the emulator
// refuses to start (exit 2) for a host that does not resolve to loopback only.
TEST(SchedulerListenTest, RefusesNamesThatOnlyLookLikeLoopbackWithoutAToken) {
  const std::string binary = testing::FindBuiltBinary("cloud-scheduler-emulator");
  ASSERT_FALSE(binary.empty()) << "cloud-scheduler-emulator is not built";
  const std::string dir = absl::StrCat(::testing::TempDir(), "/sched_listen_it_", getpid());
  ASSERT_EQ(system(absl::StrCat("rm -rf '", dir, "' && mkdir -p '", dir, "'").c_str()), 0);
  for (const std::vector<std::string>& flags : std::vector<std::vector<std::string>>{
           {"--listen", "127.attacker.example:0"},
           {"--listen", "127.0.0.1:0", "--grpc-listen", "127.attacker.example:0"},
           {"--listen", "0.0.0.0:0"}}) {
    std::vector<std::string> argv = {binary, "--db", dir + "/jobs.db"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    absl::StatusOr<testing::RunResult> r =
        testing::RunToExit(argv, {}, dir + "/run.log", absl::Seconds(20));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 2) << flags.back() << ": " << r->output;
    EXPECT_THAT(r->output, Not(HasSubstr("cloud-scheduler-emulator listening"))) << r->output;
    std::remove((dir + "/run.log").c_str());
  }
  system(absl::StrCat("rm -rf '", dir, "'").c_str());
}

// Sends `head` and then `body_bytes` of garbage (fewer if the server closes first) on a fresh connection
// and returns the status line of the answer ("" if none came, e.g. the connection was reset).
std::string SendRaw(int fd, const std::string& head, std::size_t body_bytes) {
  const timeval timeout{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  constexpr std::size_t kChunk = 1 << 20;
  const std::string garbage(kChunk, 'x');
  bool open = send(fd, head.data(), head.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(head.size());
  for (std::size_t sent = 0; open && sent < body_bytes; sent += kChunk) {
    open = send(fd, garbage.data(), std::min(kChunk, body_bytes - sent), MSG_NOSIGNAL) > 0;
  }
  std::string answer;
  char buf[4096];
  for (ssize_t n; answer.find("\r\n") == std::string::npos && (n = recv(fd, buf, sizeof(buf), 0)) > 0;) {
    answer.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return answer.substr(0, answer.find("\r\n"));
}

TEST_F(SchedulerEdgeTest, RestRefusesOversizedBodiesWithoutBufferingThem) {
  const long peak_before = StatusKib("VmHWM");
  ASSERT_GT(peak_before, 0);
  httplib::Client api("127.0.0.1", port_);
  // Larger than the request limit: refused before it is parsed.
  httplib::Result r = api.Post(kJobs, HttpJob("two-mb", "{}", std::string(kTwoMegabytes, 'b')), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413) << r->body.substr(0, 200);
  nlohmann::json error = nlohmann::json::parse(r->body, nullptr, false);
  ASSERT_TRUE(error.is_object()) << r->body.substr(0, 200);
  EXPECT_EQ(error["error"]["code"], 413);
  // Within the request limit but over Cloud Scheduler's job limit.
  r = api.Post(kJobs, HttpJob("one-mb", "{}", std::string(kJustOverOneMebibyte, 'b')), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body.substr(0, 200);
  error = nlohmann::json::parse(r->body, nullptr, false);
  ASSERT_TRUE(error.is_object()) << r->body.substr(0, 200);
  EXPECT_EQ(error["error"]["status"], "INVALID_ARGUMENT");
  EXPECT_THAT(error["error"]["message"].get<std::string>(), HasSubstr("1 MiB"));

  // Garbage declared as 300 MB, and a chunked upload (no declared size): refused, not kept in memory.
  const std::string post = absl::StrCat("POST ", kJobs, " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n");
  const int declared = Connect();
  ASSERT_GE(declared, 0);
  EXPECT_EQ(SendRaw(declared, absl::StrCat(post, "Content-Length: ", kHugeDeclaredBytes, "\r\n\r\n"), kHugeSentBytes),
            "HTTP/1.1 413 Payload Too Large");
  const int chunked = Connect();
  ASSERT_GE(chunked, 0);
  // Refused before its body is read, and the connection closed: a 411 or, when the close overtakes it, a
  // reset; either way the body is not buffered.
  EXPECT_THAT(SendRaw(chunked, absl::StrCat(post, "Transfer-Encoding: chunked\r\n\r\n4000000\r\n"), kHugeSentBytes),
              ::testing::AnyOf("", ::testing::StartsWith("HTTP/1.1 411")));
  EXPECT_LT(StatusKib("VmHWM") - peak_before, kMaxRssGrowthKib) << "peak RSS grew while refusing";

  // Still serving.
  r = api.Post(kJobs, HttpJob("small", "{}", "ok"), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(SchedulerEdgeTest, GrpcRefusesOversizedMessagesAndJobs) {
  auto stub = v1::CloudScheduler::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port_), grpc::InsecureChannelCredentials()));
  auto create = [&](const std::string& id, std::size_t body_bytes) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::CreateJobRequest req;
    req.set_parent(kParent);
    v1::Job& job = *req.mutable_job();
    job.set_name(absl::StrCat(kParent, "/jobs/", id));
    job.set_schedule("0 0 1 1 *");
    job.mutable_http_target()->set_uri("http://127.0.0.1:9/x");
    job.mutable_http_target()->set_body(std::string(body_bytes, 'b'));
    v1::Job out;
    return stub->CreateJob(&ctx, req, &out);
  };
  EXPECT_EQ(create("three-mb", 3 * kTwoMegabytes / 2).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  const grpc::Status over_job_limit = create("one-mb", kJustOverOneMebibyte);
  EXPECT_EQ(over_job_limit.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(over_job_limit.error_message(), HasSubstr("1 MiB"));
  EXPECT_TRUE(create("small", 2).ok());
}

// A hundred connections that each trickle a header line every second (and never finish their request) do
// not starve the probe or the API.
TEST_F(SchedulerEdgeTest, SlowClientsDoNotStarveHealthz) {
  std::vector<int> slow;
  for (int i = 0; i < kSlowClients; ++i) {
    const int fd = Connect();
    ASSERT_GE(fd, 0) << "connection " << i;
    slow.push_back(fd);
  }
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (int fd : slow) send(fd, "GET /v1/projects/p/locations HTTP/1.1\r\n", 39, MSG_NOSIGNAL);
    for (int round = 0; round < kTrickles && !stop.load(); ++round) {
      std::this_thread::sleep_for(kTrickleInterval);
      const std::string line = absl::StrCat("X-Slow-", round, ": a\r\n");
      for (int fd : slow) send(fd, line.data(), line.size(), MSG_NOSIGNAL);
    }
  });
  // Let every slow connection be accepted and start its request.
  std::this_thread::sleep_for(2 * kTrickleInterval);
  httplib::Client probe("127.0.0.1", port_);
  probe.set_connection_timeout(kHealthzTimeout);
  probe.set_read_timeout(kHealthzTimeout);
  httplib::Result healthz = probe.Get("/healthz");
  httplib::Result locations = probe.Get("/v1/projects/p/locations");
  stop = true;
  trickle.join();
  for (int fd : slow) close(fd);
  ASSERT_TRUE(healthz) << "no answer to /healthz within the timeout: " << httplib::to_string(healthz.error());
  EXPECT_EQ(healthz->status, 200);
  ASSERT_TRUE(locations) << "no answer from the API within the timeout";
  EXPECT_EQ(locations->status, 200);
}

}  // namespace
}  // namespace schedsvc
