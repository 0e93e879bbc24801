// service_dispatch_bench: the schedule-service binary end to end against the official Pub/Sub emulator
// and an nginx backend with auth_basic (issue 3 item 14). Measures, per stream count S:
//   - ready: time from starting the process (fork+exec) to the first /readyz 200;
//   - backlog: N messages published up front, then the service started; msg/s from ready to the moment
//     all N are delivered and acked (read from the service's per-delivery log lines at log level
//     info/debug, then confirmed by schedsvc_messages_acked_total; at other levels /metrics is polled
//     every 100 ms, which itself costs the service CPU); CPU µs per message of the schedule-service process
//     (/proc/PID/stat utime+stime, from ready to done); peak RSS (VmHWM) at the end;
//   - latency: a paced phase (--paced-rate msg/s for --paced-seconds) with the service idle otherwise;
//     publish→backend latency per message = nginx's $msec for the request carrying Idempotency-Key = id,
//     minus the time our Publisher reported the message accepted. p50/p99 over the phase.
// The service runs with --log-level (default info: one JSON line per delivery, written to a file).
//
// Usage: service_dispatch_bench [--messages=20000] [--streams=5,20] [--outstanding=1000]
//                               [--max-concurrency=64] [--paced-rate=500] [--paced-seconds=6]
//                               [--log-level=info] [--htpasswd-scheme=ssha|apr1]
//                               [--held-latency-seconds=30] [--service-binary=PATH]
// After the stream counts, a held phase (skipped with --held-latency-seconds=0) reads the service's RSS
// while exactly --outstanding messages are leased and unsettled (see RunHeldPhase).
// Needs nginx (/usr/sbin/nginx) and openssl on PATH. Binaries are taken from the build tree (BuildDir())
// unless --service-binary names another schedule-service (e.g. an older build, for before/after).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/common/mutex_mode.h"
#include "src/metrics/prometheus_text.h"
#include "src/pubsub/admin_client.h"
#include "src/pubsub/publisher.h"
#include "bench/bench_support.h"
#include "bench/nginx_backend.h"
#include "testing/child_process.h"
#include "testing/pubsub_emulator.h"

namespace schedsvc::bench {
namespace {

constexpr char kProject[] = "projects/schedsvc-svc-bench";
constexpr char kUser[] = "bench";
constexpr char kPassword[] = "bench-secret-7";

struct Flags {
  int messages = 20000;
  std::vector<int> streams = {5, 20};
  int outstanding = 1000;
  // Per-backend max_concurrency: 64 is what docs/service.md advises for a backend answering in a few ms.
  int max_concurrency = 64;
  int paced_rate = 500;
  int paced_seconds = 6;
  std::string log_level = "info";
  // How nginx's htpasswd stores the password: ssha (one SHA-1 per request) or apr1 (1,000 MD5 rounds per
  // request, ~0.2 ms of nginx CPU on this VM: with apr1 nginx, not the service, is the busiest process).
  std::string htpasswd_scheme = "ssha";
  // The held phase: this many seconds of backend latency while `outstanding` messages are held (0: skip).
  int held_latency_seconds = 30;
  // The schedule-service binary to measure; empty = the one in this build tree.
  std::string service_binary;
};

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--messages=")) {
      if (!absl::SimpleAtoi(arg, &f.messages) || f.messages < 1) return false;
    } else if (absl::ConsumePrefix(&arg, "--streams=")) {
      f.streams.clear();
      for (absl::string_view s : absl::StrSplit(arg, ',')) {
        int n = 0;
        if (!absl::SimpleAtoi(s, &n) || n < 1) return false;
        f.streams.push_back(n);
      }
    } else if (absl::ConsumePrefix(&arg, "--outstanding=")) {
      if (!absl::SimpleAtoi(arg, &f.outstanding) || f.outstanding < 1) return false;
    } else if (absl::ConsumePrefix(&arg, "--max-concurrency=")) {
      if (!absl::SimpleAtoi(arg, &f.max_concurrency) || f.max_concurrency < 1) return false;
    } else if (absl::ConsumePrefix(&arg, "--paced-rate=")) {
      if (!absl::SimpleAtoi(arg, &f.paced_rate) || f.paced_rate < 1) return false;
    } else if (absl::ConsumePrefix(&arg, "--log-level=")) {
      f.log_level = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--htpasswd-scheme=")) {
      f.htpasswd_scheme = std::string(arg);
      if (f.htpasswd_scheme != "ssha" && f.htpasswd_scheme != "apr1") return false;
    } else if (absl::ConsumePrefix(&arg, "--held-latency-seconds=")) {
      if (!absl::SimpleAtoi(arg, &f.held_latency_seconds) || f.held_latency_seconds < 0) return false;
    } else if (absl::ConsumePrefix(&arg, "--service-binary=")) {
      f.service_binary = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--paced-seconds=")) {
      if (!absl::SimpleAtoi(arg, &f.paced_seconds) || f.paced_seconds < 0) return false;
    } else {
      return false;
    }
  }
  return true;
}

// utime+stime of `pid` in microseconds (-1 if unreadable).
double CpuMicros(pid_t pid) {
  const std::string stat = testing::ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/stat"));
  const std::size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::vector<std::string> fields = absl::StrSplit(stat.substr(paren + 2), ' ');
  // After ")": field 3 is index 0, so utime (14) is index 11 and stime (15) index 12.
  if (fields.size() < 13) return -1;
  double utime = 0, stime = 0;
  if (!absl::SimpleAtod(fields[11], &utime) || !absl::SimpleAtod(fields[12], &stime)) return -1;
  return (utime + stime) * 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double MetricSum(int port, const std::string& metric) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(5);
  auto r = c.Get("/metrics");
  if (!r || r->status != 200) return -1;
  return metrics::SumMetric(r->body, metric);
}

// Counts "message delivered" lines appended to the service's log since the last call, reading only
// the new bytes. Lets the bench see progress without scraping /metrics, whose cost (the scrape walks
// the service's leases) would be charged to the service's CPU per message.
class DeliveredLineCounter {
 public:
  explicit DeliveredLineCounter(std::string path) : path_(std::move(path)) {}
  long Count() {
    std::ifstream in(path_, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // a partly written last line: read it whole next time
      offset_ += line.size() + 1;
      if (absl::StrContains(line, "\"message\":\"message delivered\"")) ++count_;
    }
    return count_;
  }

 private:
  std::string path_;
  std::size_t offset_ = 0;
  long count_ = 0;
};

// Returns the "time" of the service's "schedule-service starting" log line (written once the process
// has loaded, built its parts and bound the admin port, just before the streams open), or
// InfiniteFuture.
absl::Time StartingLogTime(const std::string& log_path) {
  std::istringstream in(testing::ReadFileOrEmpty(log_path));
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StrContains(line, "\"message\":\"schedule-service starting\"")) continue;
    const std::size_t key = line.find("\"time\":\"");
    if (key == std::string::npos) break;
    const std::size_t begin = key + 8;
    const std::size_t end = line.find('"', begin);
    absl::Time t;
    std::string error;
    if (end != std::string::npos &&
        absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", line.substr(begin, end - begin), &t, &error)) {
      return t;
    }
    break;
  }
  return absl::InfiniteFuture();
}

pubsub::ConnectionOptions Connection(const std::string& host) {
  pubsub::ConnectionOptions c;
  c.endpoint = host;
  c.plaintext = true;
  c.rpc_timeout = absl::Seconds(30);
  return c;
}

// Publishes `n` messages as fast as the Publisher batches them; false on any failure.
bool PublishBacklog(const std::string& host, const std::string& topic, int n) {
  pubsub::PublisherOptions options;
  options.topic = topic;
  options.max_batch_messages = 1000;
  auto publisher = pubsub::MakePublisher(options, Connection(host));
  if (!publisher.ok()) return false;
  std::vector<std::future<absl::StatusOr<std::string>>> results;
  results.reserve(n);
  for (int i = 0; i < n; ++i) {
    results.push_back((*publisher)->Publish(pubsub::OutgoingMessage{absl::StrCat("{\"i\":", i, "}"), {}, ""}));
  }
  (*publisher)->Flush();
  bool ok = true;
  for (auto& r : results) ok = r.get().ok() && ok;
  (*publisher)->Shutdown();
  return ok;
}

// Publishes `rate` messages per second for `seconds`; returns message id -> time accepted.
std::map<std::string, absl::Time> PublishPaced(const std::string& host, const std::string& topic, int rate,
                                               int seconds) {
  pubsub::PublisherOptions options;
  options.topic = topic;
  options.max_batch_delay = absl::Milliseconds(1);
  auto publisher = pubsub::MakePublisher(options, Connection(host));
  std::map<std::string, absl::Time> accepted;
  if (!publisher.ok()) return accepted;
  absl::Mutex mu;
  std::atomic<int> pending{0};
  const int total = rate * seconds;
  const absl::Time start = absl::Now();
  for (int i = 0; i < total; ++i) {
    absl::SleepFor(start + absl::Seconds(1) * i / rate - absl::Now());
    ++pending;
    (*publisher)->Publish(pubsub::OutgoingMessage{absl::StrCat("{\"p\":", i, "}"), {}, ""},
                          [&](absl::StatusOr<std::string> id) {
                            const absl::Time now = absl::Now();
                            absl::MutexLock lock(&mu);
                            if (id.ok()) accepted[*id] = now;
                            --pending;
                          });
  }
  (*publisher)->Flush();
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (pending.load() > 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  (*publisher)->Shutdown();
  absl::MutexLock lock(&mu);
  return accepted;
}

// The service's YAML: one backend at 127.0.0.1:`backend_port` with Basic auth from files in `dir`.
std::string ServiceConfig(const Flags& flags, const std::string& dir, const std::string& sub, int streams,
                          int admin_port, int backend_port) {
  return absl::StrCat("subscription: ", sub, "\nstreams: ", streams, "\nflow_control:\n  max_outstanding_messages: ",
                      flags.outstanding, "\nlog_level: ", flags.log_level, "\nadmin:\n  listen: 127.0.0.1:", admin_port,
                      "\nrouting:\n  default_backend: web\nbackends:\n  web:\n    url: http://127.0.0.1:", backend_port,
                      "\n    max_concurrency: ", flags.max_concurrency, "\n    auth:\n      basic:\n        username_file: ",
                      dir, "/username\n        password_file: ", dir, "/password\n");
}

// The held phase: exactly `flags.outstanding` messages published, a backend (the project's demo-backend)
// that answers only after `held_latency_seconds`, so every message is leased and unsettled at once:
// `max_concurrency` of them in HTTP calls, the rest waiting for a slot. Once
// schedsvc_messages_in_flight reaches the limit (and 1 s later), the service's RSS is read. This is the
// "RSS with 1000 outstanding" figure; the backlog phase's VmHWM is higher because the emulator ignores the
// StreamingPull flow-control limits and pushes the whole backlog into the client's queue.
bool RunHeldPhase(const Flags& flags, const std::string& dir, const std::string& host, const std::string& service_bin,
                  int streams) {
  const std::string topic = absl::StrCat(kProject, "/topics/held-", streams);
  const std::string sub = absl::StrCat(kProject, "/subscriptions/held-", streams);
  auto admin = pubsub::MakeAdminClient(Connection(host));
  google::pubsub::v1::Subscription spec;
  spec.set_name(sub);
  spec.set_topic(topic);
  spec.set_ack_deadline_seconds(60);
  if (!admin->CreateTopic(topic).ok() || !admin->CreateSubscription(spec).ok() ||
      !PublishBacklog(host, topic, flags.outstanding)) {
    std::fprintf(stderr, "held phase: Pub/Sub set-up failed\n");
    return false;
  }
  const int backend_port = testing::PickFreePort();
  auto backend = testing::ChildProcess::Start(
      {testing::BuildDir() + "/src/demo_backend/demo-backend", "--listen", absl::StrCat("127.0.0.1:", backend_port),
       "--username-file", dir + "/username", "--password-file", dir + "/password", "--latency",
       absl::StrCat(flags.held_latency_seconds, "s"), "--threads", absl::StrCat(flags.max_concurrency + 8)},
      {}, absl::StrCat(dir, "/demo-backend-", streams, ".log"));
  if (!backend.ok() || !testing::WaitForPort(backend_port, absl::Seconds(10))) {
    std::fprintf(stderr, "held phase: demo-backend did not start\n");
    return false;
  }
  const int admin_port = testing::PickFreePort();
  const std::string config = absl::StrCat(dir, "/service-held-", streams, ".yaml");
  WriteFile(config, ServiceConfig(flags, dir, sub, streams, admin_port, backend_port));
  auto service = testing::ChildProcess::Start({service_bin, "--config", config}, {{"PUBSUB_EMULATOR_HOST", host}},
                                              absl::StrCat(dir, "/service-held-", streams, ".log"));
  if (!service.ok()) {
    std::fprintf(stderr, "held phase: %s\n", service.status().ToString().c_str());
    return false;
  }
  double in_flight = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(std::max(5, flags.held_latency_seconds / 2));
  while (absl::Now() < deadline && (in_flight = MetricSum(admin_port, "schedsvc_messages_in_flight")) < flags.outstanding) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  absl::SleepFor(absl::Seconds(1));
  in_flight = MetricSum(admin_port, "schedsvc_messages_in_flight");
  const pid_t pid = service->pid();
  const long anonymous_kib = ProcKib(pid, "smaps_rollup", "Anonymous");
  const long rss_kib = ProcKib(pid, "smaps_rollup", "Rss");
  std::printf("held: %d streams, %.0f messages in flight (limit %d, max_concurrency %d), VmRSS %.1f MiB "
              "(anonymous %.1f, file-backed %.1f), VmHWM %.1f MiB\n",
              streams, in_flight, flags.outstanding, flags.max_concurrency, ProcKib(pid, "status", "VmRSS") / 1024.0,
              anonymous_kib / 1024.0, (rss_kib - anonymous_kib) / 1024.0, ProcKib(pid, "status", "VmHWM") / 1024.0);
  std::fflush(stdout);
  service->Stop(9);
  backend->Stop(9);
  return in_flight >= flags.outstanding;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

int Run(const Flags& flags) {
  auto made = MakeTempDir("schedsvc-svc-bench");
  if (!made.ok()) {
    std::fprintf(stderr, "%s\n", made.status().ToString().c_str());
    return 1;
  }
  const std::string dir = *made;
  auto emulator = testing::PubsubEmulator::Start();
  if (!emulator.ok()) {
    std::fprintf(stderr, "emulator: %s\n", emulator.status().ToString().c_str());
    return 1;
  }
  const std::string host = (*emulator)->host_port();
  auto nginx = StartNginx(dir, kUser, kPassword, flags.htpasswd_scheme);
  if (!nginx.ok()) {
    std::fprintf(stderr, "nginx: %s\n", nginx.status().ToString().c_str());
    return 1;
  }
  {  // Control: nginx must refuse a call without credentials.
    httplib::Client c("127.0.0.1", nginx->port);
    auto plain = c.Post("/x", "{}", "application/json");
    c.set_basic_auth(kUser, kPassword);
    auto authed = c.Post("/x", "{}", "application/json");
    if (!plain || plain->status != 401 || !authed || authed->status != 200) {
      std::fprintf(stderr, "nginx auth control failed (%d without, %d with credentials)\n",
                   plain ? plain->status : 0, authed ? authed->status : 0);
      return 1;
    }
    // nginx flushes its access log every 500 ms: let the control's 401 reach the file before any run
    // takes its offset, so that it is not counted as the service's.
    absl::SleepFor(absl::Seconds(1));
  }
  WriteFile(dir + "/username", kUser);
  WriteFile(dir + "/password", kPassword);
  auto admin = pubsub::MakeAdminClient(Connection(host));
  const std::string service_bin = flags.service_binary.empty()
                                      ? testing::BuildDir() + "/src/service/schedule-service"
                                      : flags.service_binary;

  // start_ms: exec -> the service's "starting" log line (process load, config, parts built, admin port
  // bound); ready_ms - start_ms is opening and connecting the streams.
  std::printf("%-7s %9s %9s %8s %10s %10s %9s %9s %9s %8s\n", "streams", "start_ms", "ready_ms", "msg/s",
              "cpu_us/msg", "cpu_incl", "rss_MiB", "p50_ms", "p99_ms", "paced_n");
  for (int s : flags.streams) {
    const std::string topic = absl::StrCat(kProject, "/topics/bench-", s);
    const std::string sub = absl::StrCat(kProject, "/subscriptions/bench-", s);
    if (auto t = admin->CreateTopic(topic); !t.ok()) {
      std::fprintf(stderr, "create topic: %s\n", t.status().ToString().c_str());
      return 1;
    }
    google::pubsub::v1::Subscription spec;
    spec.set_name(sub);
    spec.set_topic(topic);
    spec.set_ack_deadline_seconds(60);
    if (auto c = admin->CreateSubscription(spec); !c.ok()) {
      std::fprintf(stderr, "create subscription: %s\n", c.status().ToString().c_str());
      return 1;
    }
    if (!PublishBacklog(host, topic, flags.messages)) {
      std::fprintf(stderr, "publish failed\n");
      return 1;
    }
    const int admin_port = testing::PickFreePort();
    const std::string config = absl::StrCat(dir, "/service-", s, ".yaml");
    WriteFile(config, ServiceConfig(flags, dir, sub, s, admin_port, nginx->port));
    const std::size_t run_log_offset = testing::ReadFileOrEmpty(nginx->access_log).size();
    // Ready: exec -> first /readyz 200, polled every millisecond.
    const absl::Time t0 = absl::Now();
    auto started = testing::ChildProcess::Start({service_bin, "--config", config}, {{"PUBSUB_EMULATOR_HOST", host}},
                                                absl::StrCat(dir, "/service-", s, ".log"));
    if (!started.ok()) {
      std::fprintf(stderr, "service: %s\n", started.status().ToString().c_str());
      return 1;
    }
    testing::ChildProcess service = std::move(*started);
    absl::Time ready_at = absl::InfiniteFuture();
    while (absl::Now() < t0 + absl::Seconds(30)) {
      httplib::Client c("127.0.0.1", admin_port);
      c.set_connection_timeout(0, 200000);
      auto r = c.Get("/readyz");
      if (r && r->status == 200) {
        ready_at = absl::Now();
        break;
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
    if (ready_at == absl::InfiniteFuture()) {
      std::fprintf(stderr, "service not ready:\n%s\n", testing::ReadFileOrEmpty(service.log_path()).c_str());
      return 1;
    }
    const double cpu_at_ready = CpuMicros(service.pid());
    const absl::Time starting_at = StartingLogTime(service.log_path());
    // Backlog: ready -> every message delivered and acked. With per-delivery log lines (info, debug)
    // progress is read from the service's log, which costs the service nothing; the service acks before
    // it writes the line, and one scrape confirms acked_total. Otherwise /metrics is polled gently
    // (every scrape costs the service CPU and walks its leases).
    const bool count_log_lines = flags.log_level == "info" || flags.log_level == "debug";
    DeliveredLineCounter delivered(service.log_path());
    absl::Time done_at = absl::InfiniteFuture();
    while (absl::Now() < ready_at + absl::Seconds(600)) {
      if (count_log_lines) {
        if (delivered.Count() >= flags.messages) {
          done_at = absl::Now();
          break;
        }
        absl::SleepFor(absl::Milliseconds(10));
        continue;
      }
      if (MetricSum(admin_port, "schedsvc_messages_acked_total") >= flags.messages) {
        done_at = absl::Now();
        break;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    if (count_log_lines && done_at != absl::InfiniteFuture() &&
        MetricSum(admin_port, "schedsvc_messages_acked_total") < flags.messages) {
      std::fprintf(stderr, "log says all delivered but schedsvc_messages_acked_total is short\n");
      return 1;
    }
    if (done_at == absl::InfiniteFuture()) {
      std::fprintf(stderr, "backlog not drained\n");
      return 1;
    }
    const double cpu_at_done = CpuMicros(service.pid());
    const double rate = flags.messages / absl::ToDoubleSeconds(done_at - ready_at);
    const double cpu_per_msg = (cpu_at_done - cpu_at_ready) / flags.messages;
    const double cpu_incl_start = cpu_at_done / flags.messages;
    const long hwm_kib = ProcKib(service.pid(), "status", "VmHWM");

    // Paced latency phase.
    const long log_offset = static_cast<long>(testing::ReadFileOrEmpty(nginx->access_log).size());
    std::map<std::string, absl::Time> accepted = PublishPaced(host, topic, flags.paced_rate, flags.paced_seconds);
    const double want = flags.messages + static_cast<double>(accepted.size());
    const absl::Time paced_deadline = absl::Now() + absl::Seconds(60);
    while (MetricSum(admin_port, "schedsvc_messages_acked_total") < want && absl::Now() < paced_deadline) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    service.Stop(15, absl::Seconds(30));
    absl::SleepFor(absl::Seconds(1));  // nginx flushes its access log buffer every 500 ms
    std::vector<double> latencies_ms;
    const std::string log = testing::ReadFileOrEmpty(nginx->access_log).substr(log_offset);
    for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
      std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
      double msec = 0;
      if (parts.size() < 3 || parts[2] != "200" || !absl::SimpleAtod(parts[0], &msec)) continue;
      auto it = accepted.find(std::string(parts[1]));
      if (it == accepted.end()) continue;
      latencies_ms.push_back(msec * 1e3 - absl::ToUnixMicros(it->second) / 1e3);
      accepted.erase(it);  // first success only
    }
    // Every request of this run must have been authenticated and answered 200.
    std::map<std::string, long> not_ok;  // status -> count
    for (absl::string_view line :
         absl::StrSplit(testing::ReadFileOrEmpty(nginx->access_log).substr(run_log_offset), '\n', absl::SkipEmpty())) {
      if (!absl::EndsWith(line, " 200")) ++not_ok[std::string(line.substr(line.rfind(' ') + 1))];
    }
    for (const auto& [status, n] : not_ok) {
      std::fprintf(stderr, "nginx answered %ld requests with status %s\n", n, status.c_str());
    }
    std::printf("%-7d %9.1f %9.1f %8.0f %10.1f %10.1f %9.1f %9.1f %9.1f %8zu\n", s,
                starting_at == absl::InfiniteFuture() ? -1.0 : absl::ToDoubleMilliseconds(starting_at - t0),
                absl::ToDoubleMilliseconds(ready_at - t0), rate, cpu_per_msg, cpu_incl_start, hwm_kib / 1024.0,
                Percentile(latencies_ms, 0.5), Percentile(latencies_ms, 0.99), latencies_ms.size());
    std::fflush(stdout);
  }
  for (int s : flags.streams) {
    if (flags.held_latency_seconds > 0 && !RunHeldPhase(flags, dir, host, service_bin, s)) {
      std::fprintf(stderr, "held phase: fewer than %d messages were held\n", flags.outstanding);
      return 1;
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace schedsvc::bench

int main(int argc, char** argv) {
  schedsvc::DisableMutexDeadlockDetection();
  schedsvc::bench::Flags flags;
  if (!schedsvc::bench::ParseFlags(argc, argv, flags)) {
    std::fprintf(stderr,
                 "usage: service_dispatch_bench [--messages=N] [--streams=5,20] [--outstanding=N] "
                 "[--max-concurrency=N] [--paced-rate=N] [--paced-seconds=N] [--log-level=L] "
                 "[--htpasswd-scheme=ssha|apr1] [--held-latency-seconds=N] [--service-binary=PATH]\n");
    return 2;
  }
  return schedsvc::bench::Run(flags);
}
