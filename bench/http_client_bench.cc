// http_client_bench: CurlHttpClient alone against the nginx auth_basic backend of service_dispatch_bench
// (issue 3 item 14's analysis): N POST requests with a Basic-auth header and a small JSON body, at most C in
// flight (each completion starts the next, from the client's own loop thread, as the service's dispatcher
// does). Reports requests/s and CPU µs per request of this process (getrusage: the curl loop thread and
// the caller; nginx is a separate process). That is the floor the service's CPU per message cannot go
// below while every delivery is one libcurl request.
//
// Usage: http_client_bench [--requests=200000] [--concurrency=64] [--htpasswd-scheme=ssha|apr1]
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_support.h"
#include "bench/nginx_backend.h"
#include "src/common/mutex_mode.h"
#include "src/dispatch/curl_http_client.h"

namespace schedsvc::bench {
namespace {

constexpr char kUser[] = "bench";
constexpr char kPassword[] = "bench-secret-7";

struct Flags {
  int requests = 200000;
  int concurrency = 64;
  std::string htpasswd_scheme = "ssha";
};

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--requests=")) {
      if (!absl::SimpleAtoi(arg, &f.requests) || f.requests < 1) return false;
    } else if (absl::ConsumePrefix(&arg, "--concurrency=")) {
      if (!absl::SimpleAtoi(arg, &f.concurrency) || f.concurrency < 1) return false;
    } else if (absl::ConsumePrefix(&arg, "--htpasswd-scheme=")) {
      f.htpasswd_scheme = std::string(arg);
    } else {
      return false;
    }
  }
  return true;
}

// Keeps `concurrency` requests in flight until `total` have been sent; counts non-200 answers.
class Driver {
 public:
  Driver(dispatch::HttpClient& client, std::string url, int total)
      : client_(client),
        url_(std::move(url)),
        authorization_(absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(kUser, ":", kPassword)))),
        total_(total) {}

  void SendNext() {
    const int i = next_.fetch_add(1);
    if (i >= total_) return;
    dispatch::HttpRequest request;
    request.url = url_;
    request.headers = {{"Authorization", authorization_},
                       {"Content-Type", "application/json"},
                       {"Idempotency-Key", absl::StrCat(1000000 + i)}};
    request.body = absl::StrCat("{\"i\":", i, "}");
    client_.Send(std::move(request), [this](absl::StatusOr<dispatch::HttpResponse> r) {
      if (!r.ok() || r->status != 200) failed_.fetch_add(1);
      if (done_.fetch_add(1) + 1 == total_) {
        all_done_.Notify();
        return;
      }
      SendNext();
    });
  }

  void Wait() { all_done_.WaitForNotificationWithTimeout(absl::Seconds(600)); }
  int failed() const { return failed_.load(); }
  int done() const { return done_.load(); }

 private:
  dispatch::HttpClient& client_;
  const std::string url_;
  const std::string authorization_;  // built once: the bench measures the client, not its own set-up
  const int total_;
  std::atomic<int> next_{0};
  std::atomic<int> done_{0};
  std::atomic<int> failed_{0};
  absl::Notification all_done_;
};

int Run(const Flags& flags) {
  auto made = MakeTempDir("schedsvc-http-bench");
  if (!made.ok()) {
    std::fprintf(stderr, "%s\n", made.status().ToString().c_str());
    return 1;
  }
  const std::string dir = *made;
  auto nginx = StartNginx(dir, kUser, kPassword, flags.htpasswd_scheme);
  if (!nginx.ok()) {
    std::fprintf(stderr, "nginx: %s\n", nginx.status().ToString().c_str());
    return 1;
  }
  auto client = dispatch::CurlHttpClient::Create();
  if (!client.ok()) {
    std::fprintf(stderr, "curl: %s\n", client.status().ToString().c_str());
    return 1;
  }
  const std::string url = absl::StrCat("http://127.0.0.1:", nginx->port, "/jobs/run");
  {  // Warm-up: open the connections (not measured).
    Driver warm(**client, url, flags.concurrency * 4);
    for (int i = 0; i < flags.concurrency; ++i) warm.SendNext();
    warm.Wait();
  }
  Driver driver(**client, url, flags.requests);
  const double cpu0 = ProcessCpuSeconds();
  const absl::Time t0 = absl::Now();
  for (int i = 0; i < flags.concurrency; ++i) driver.SendNext();
  driver.Wait();
  const absl::Duration wall = absl::Now() - t0;
  const double cpu = (ProcessCpuSeconds() - cpu0) * 1e6;
  std::printf("%-11s %8s %10s %10s %8s\n", "concurrency", "requests", "req/s", "cpu_us/req", "failed");
  std::printf("%-11d %8d %10.0f %10.1f %8d\n", flags.concurrency, driver.done(),
              driver.done() / absl::ToDoubleSeconds(wall), cpu / flags.requests, driver.failed());
  client->reset();
  nginx->process->Stop();
  std::filesystem::remove_all(dir);
  return driver.done() == flags.requests && driver.failed() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace schedsvc::bench

int main(int argc, char** argv) {
  schedsvc::DisableMutexDeadlockDetection();
  schedsvc::bench::Flags flags;
  if (!schedsvc::bench::ParseFlags(argc, argv, flags)) {
    std::fprintf(stderr, "usage: http_client_bench [--requests=N] [--concurrency=N] [--htpasswd-scheme=ssha|apr1]\n");
    return 2;
  }
  return schedsvc::bench::Run(flags);
}
