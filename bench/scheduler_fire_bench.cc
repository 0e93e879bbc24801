// scheduler_fire_bench: the emulator's firing path in one process (SQLite store on a temp file, the
// SchedulerLoop on a ThreadExecutor, DefaultJobRunner publishing to Google's Pub/Sub emulator). Creates N
// every-minute Pub/Sub jobs (default 10,000), waits for the next minute boundary and reports, per run,
// publish-completion time minus schedule time (p50/p99/max) and the CPU used while firing; then the CPU
// used over an idle window with all jobs loaded.
// Usage: scheduler_fire_bench [jobs] [idle_seconds] [warm_minutes]
// warm_minutes (default 1): how many firing minutes pass before the measured one. The first minute after
// start meets a cold emulator (its JVM compiles the publish path while the burst arrives, ~0.3 s of
// JIT threads' CPU on 2 cores) and a channel not yet connected; 0 measures that first minute.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bench/bench_support.h"
#include "src/common/clock.h"
#include "src/common/json_log.h"
#include "src/common/mutex_mode.h"
#include "src/common/thread_executor.h"
#include "src/pubsub/admin_client.h"
#include "src/scheduler/loop/scheduler_loop.h"
#include "src/scheduler/runner/default_job_runner.h"
#include "src/scheduler/scheduler_service.h"
#include "src/scheduler/store/sqlite_job_store.h"
#include "testing/pubsub_emulator.h"

namespace schedsvc::scheduler {
namespace {

// Records when each attempt completed relative to its schedule time.
class TimingRunner final : public JobRunner {
 public:
  TimingRunner(JobRunner& inner, Clock& clock) : inner_(inner), clock_(clock) {}
  // Only runs scheduled at `t` are measured (jobs created before an earlier boundary fire there too).
  void Measure(absl::Time t) {
    absl::MutexLock lock(&mu_);
    target_ = t;
  }
  void Start(const Job& job, absl::Time schedule_time, std::function<void(AttemptReport)> done) override {
    bool measured = false;
    {
      absl::MutexLock lock(&mu_);
      measured = schedule_time == target_;
      if (measured) {
        dispatched_.push_back(absl::ToDoubleSeconds(clock_.Now() - schedule_time));
      } else {
        ++other_runs_;
      }
    }
    if (!measured) {
      inner_.Start(job, schedule_time, std::move(done));
      return;
    }
    inner_.Start(job, schedule_time, [this, schedule_time, done = std::move(done)](AttemptReport r) {
      {
        absl::MutexLock lock(&mu_);
        lateness_.push_back(absl::ToDoubleSeconds(clock_.Now() - schedule_time));
        if (!r.status.ok()) ++failures_;
      }
      done(std::move(r));
    });
  }
  int other_runs() {
    absl::MutexLock lock(&mu_);
    return other_runs_;
  }
  std::vector<double> lateness() {
    absl::MutexLock lock(&mu_);
    return lateness_;
  }
  // Start() call time − schedule time, per run: when the loop handed the run to the runner.
  std::vector<double> dispatched() {
    absl::MutexLock lock(&mu_);
    return dispatched_;
  }
  int failures() {
    absl::MutexLock lock(&mu_);
    return failures_;
  }

 private:
  JobRunner& inner_;
  Clock& clock_;
  absl::Mutex mu_;
  std::vector<double> lateness_;
  std::vector<double> dispatched_;
  absl::Time target_ = absl::InfiniteFuture();
  int other_runs_ = 0;
  int failures_ = 0;
};

int Main(int argc, char** argv) {
  const int jobs = argc > 1 ? std::atoi(argv[1]) : 10'000;
  const int idle_seconds = argc > 2 ? std::atoi(argv[2]) : 20;
  const int warm_minutes = argc > 3 ? std::atoi(argv[3]) : 1;
  auto emulator = testing::PubsubEmulator::Start();
  if (!emulator.ok()) {
    std::cerr << emulator.status() << "\n";
    return 1;
  }
  pubsub::ConnectionOptions conn;
  conn.endpoint = (*emulator)->host_port();
  conn.plaintext = true;
  const std::string topic = "projects/bench/topics/ticks";
  auto admin = pubsub::MakeAdminClient(conn);
  if (!admin->CreateTopic(topic).ok()) return 1;

  const std::string db = absl::StrCat("/tmp/scheduler_fire_bench_", getpid(), ".db");
  SystemClock clock;
  std::ostringstream log_sink;  // attempt logs are not the subject here
  JsonLogger logger(log_sink, clock, Severity::kWarning);
  auto store = *SqliteJobStore::Open(db);
  ThreadExecutor timer(clock, 1);
  ThreadExecutor http(clock, 2);
  SchedulerMetrics metrics;
  DefaultJobRunner inner(http, conn);
  TimingRunner runner(inner, clock);
  SchedulerLoop loop(*store, runner, clock, timer, metrics, logger);
  if (!loop.Start().ok()) return 1;
  SchedulerService service(*store, loop, clock, logger);
  const std::string parent = "projects/bench/locations/us-central1";
  for (int i = 0; i < jobs; ++i) {
    JobRequest job;
    job.job.set_name(absl::StrCat(parent, "/jobs/job-", i));
    job.job.set_schedule("* * * * *");
    job.job.mutable_pubsub_target()->set_topic_name(topic);
    job.job.mutable_pubsub_target()->set_data("tick");
    (*job.job.mutable_pubsub_target()->mutable_attributes())["i"] = absl::StrCat(i);
    if (auto s = service.CreateJob(parent, std::move(job)); !s.ok()) {
      std::cerr << s.status() << "\n";
      return 1;
    }
  }
  // Wait for the minute boundary that is at least 5 s away, so creation does not overlap firing.
  absl::Time now = clock.Now();
  absl::Time boundary = absl::FromUnixSeconds((absl::ToUnixSeconds(now) / 60 + 1) * 60);
  if (boundary - now < absl::Seconds(5)) boundary += absl::Minutes(1);
  boundary += absl::Minutes(warm_minutes);
  runner.Measure(boundary);
  absl::SleepFor(boundary - now - absl::Seconds(1));
  const double cpu_before = bench::ProcessCpuSeconds();
  for (int i = 0; i < 300 && static_cast<int>(runner.lateness().size()) < jobs; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  const double fire_cpu = bench::ProcessCpuSeconds() - cpu_before;
  std::vector<double> l = runner.lateness();
  std::vector<double> d = runner.dispatched();
  std::sort(l.begin(), l.end());
  std::sort(d.begin(), d.end());
  auto pct = [](const std::vector<double>& v, double p) {
    return v.empty() ? -1 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
  };
  std::printf("jobs=%d fired=%zu failures=%d lateness_p50=%.3fs p99=%.3fs max=%.3fs fire_cpu=%.2fs\n", jobs,
              l.size(), runner.failures(), pct(l, 0.5), pct(l, 0.99), l.empty() ? -1 : l.back(), fire_cpu);
  std::printf("measured minute: %d after the first (runs of earlier minutes, not measured: %d)\n",
              warm_minutes, runner.other_runs());
  // Where the time goes: the loop's hand-over to the runner (first/last Start call) vs completion.
  std::printf("dispatch_first=%.3fs dispatch_p50=%.3fs dispatch_last=%.3fs\n", d.empty() ? -1 : d.front(),
              pct(d, 0.5), d.empty() ? -1 : d.back());
  // Idle: the burst's outcomes (history, status, logs, metrics) are written by the loop's flush task after
  // the completions; wait until it has processed all of them (bounded) and let the process settle, so the
  // idle window holds neither that nor any firing.
  for (int i = 0; i < 300 && loop.in_flight() > 0; ++i) absl::SleepFor(absl::Milliseconds(100));
  absl::SleepFor(absl::Seconds(1));
  const double idle_before = bench::ProcessCpuSeconds();
  const absl::Time idle_start = clock.Now();
  // Idle window: between two minute boundaries, nothing is due.
  absl::Time next = absl::FromUnixSeconds((absl::ToUnixSeconds(clock.Now()) / 60 + 1) * 60);
  absl::Duration window = std::min(absl::Seconds(idle_seconds), next - clock.Now() - absl::Seconds(2));
  if (window > absl::ZeroDuration()) absl::SleepFor(window);
  const double idle_cpu = bench::ProcessCpuSeconds() - idle_before;
  const double idle_wall = absl::ToDoubleSeconds(clock.Now() - idle_start);
  std::printf("idle_window=%.1fs idle_cpu=%.3fs idle_cpu_percent=%.3f%%\n", idle_wall, idle_cpu,
              idle_wall > 0 ? 100.0 * idle_cpu / idle_wall : -1);
  loop.Shutdown(absl::Seconds(30));
  timer.Shutdown();
  http.Shutdown();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  return 0;
}

}  // namespace
}  // namespace schedsvc::scheduler

int main(int argc, char** argv) {
  schedsvc::DisableMutexDeadlockDetection();
  return schedsvc::scheduler::Main(argc, argv);
}
