// pubsub_consume_bench: our Subscriber's ack-only consume rate and CPU cost per message against the
// official Pub/Sub emulator, beside the emulator's own pace at the same stream count.
//
// For each stream count S: one topic with two subscriptions gets N messages published up front. Then
//   1. "emulator pace": a minimal synchronous StreamingPull loop on the generated stub (S threads, one
//      stream each, acks sent on the stream) drains the first subscription; its rate is what the emulator
//      delivers at S streams whatever the client does;
//   2. "client": our Subscriber with S streams and an ack-only handler drains the second subscription.
//      CPU time (getrusage, whole process: user + system) is taken only around this phase.
// Prints a table; peak RSS is the process's maximum so far (ru_maxrss) after each client phase.
//
// Usage: pubsub_consume_bench [--messages=20000] [--streams=1,5,20] [--emulator=HOST:PORT] [--client-only]
//                             [--executor-threads=N]
// Without --emulator it starts the official emulator itself (testing/pubsub_emulator.h).
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_support.h"
#include "google/pubsub/v1/pubsub.grpc.pb.h"
#include "src/common/mutex_mode.h"
#include "src/pubsub/admin_client.h"
#include "src/pubsub/publisher.h"
#include "src/pubsub/subscriber.h"
#include "testing/pubsub_emulator.h"

namespace schedsvc::bench {
namespace {

namespace v1 = ::google::pubsub::v1;

constexpr char kProject[] = "projects/schedsvc-bench";
const absl::Duration kPhaseTimeout = absl::Seconds(300);

struct Flags {
  int messages = 20000;
  std::vector<int> streams = {1, 5, 20};
  std::string emulator;
  // Skips the emulator-pace phase (for profiling the client alone).
  bool client_only = false;
  // SubscriberOptions::executor_threads (0: the default).
  int executor_threads = 0;
};

bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--messages=")) {
      if (!absl::SimpleAtoi(arg, &flags.messages) || flags.messages < 1) return false;
    } else if (absl::ConsumePrefix(&arg, "--streams=")) {
      flags.streams.clear();
      for (absl::string_view s : absl::StrSplit(arg, ',')) {
        int n = 0;
        if (!absl::SimpleAtoi(s, &n) || n < 1 || n > 64) return false;
        flags.streams.push_back(n);
      }
    } else if (absl::ConsumePrefix(&arg, "--executor-threads=")) {
      if (!absl::SimpleAtoi(arg, &flags.executor_threads) || flags.executor_threads < 0) return false;
    } else if (arg == "--client-only") {
      flags.client_only = true;
    } else if (absl::ConsumePrefix(&arg, "--emulator=")) {
      flags.emulator = std::string(arg);
    } else {
      return false;
    }
  }
  return true;
}

long PeakRssKib() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

pubsub::ConnectionOptions Connection(const std::string& host) {
  pubsub::ConnectionOptions c;
  c.endpoint = host;
  c.plaintext = true;
  return c;
}

bool Publish(const std::string& host, const std::string& topic, int n) {
  pubsub::PublisherOptions options;
  options.topic = topic;
  options.max_batch_messages = 1000;
  auto publisher = pubsub::MakePublisher(options, Connection(host));
  if (!publisher.ok()) return false;
  std::vector<std::future<absl::StatusOr<std::string>>> results;
  results.reserve(n);
  for (int i = 0; i < n; ++i) {
    results.push_back((*publisher)->Publish(
        pubsub::OutgoingMessage{absl::StrCat("payload-", i), {{"seq", absl::StrCat(i)}}, ""}));
  }
  (*publisher)->Flush();
  bool ok = true;
  for (auto& r : results) {
    auto id = r.get();
    if (!id.ok()) {
      std::fprintf(stderr, "publish failed: %s\n", id.status().ToString().c_str());
      ok = false;
      break;
    }
  }
  (*publisher)->Shutdown();
  return ok;
}

struct PhaseResult {
  bool ok = false;
  double seconds = 0;
  double cpu_seconds = 0;
  std::int64_t delivered = 0;  // including redeliveries
};

// The emulator's pace: `streams` synchronous StreamingPull loops, acking on the stream.
PhaseResult RawPace(const std::string& host, const std::string& subscription, int streams, int n) {
  auto channel = grpc::CreateChannel(host, grpc::InsecureChannelCredentials());
  auto stub = v1::Subscriber::NewStub(channel);
  absl::Mutex mu;
  std::unordered_set<std::string> seen;
  std::atomic<std::int64_t> delivered{0};
  std::atomic<bool> done{false};
  absl::Time finished = absl::InfiniteFuture();
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  for (int i = 0; i < streams; ++i) contexts.push_back(std::make_unique<grpc::ClientContext>());

  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int i = 0; i < streams; ++i) {
    threads.emplace_back([&, i] {
      auto stream = stub->StreamingPull(contexts[i].get());
      v1::StreamingPullRequest initial;
      initial.set_subscription(subscription);
      initial.set_stream_ack_deadline_seconds(60);
      if (!stream->Write(initial)) return;
      v1::StreamingPullResponse response;
      while (!done && stream->Read(&response)) {
        v1::StreamingPullRequest acks;
        for (const auto& r : response.received_messages()) acks.add_ack_ids(r.ack_id());
        delivered += response.received_messages_size();
        {
          absl::MutexLock lock(&mu);
          for (const auto& r : response.received_messages()) seen.insert(r.message().message_id());
          if (static_cast<int>(seen.size()) >= n && !done.exchange(true)) finished = absl::Now();
        }
        if (!stream->Write(acks)) break;
      }
      stream->WritesDone();
    });
  }
  const absl::Time deadline = start + kPhaseTimeout;
  while (!done && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  for (auto& c : contexts) c->TryCancel();
  for (auto& t : threads) t.join();
  PhaseResult r;
  absl::MutexLock lock(&mu);
  r.ok = static_cast<int>(seen.size()) >= n;
  r.seconds = absl::ToDoubleSeconds(finished - start);
  r.delivered = delivered;
  return r;
}

// Our Subscriber, ack-only handler.
PhaseResult ClientConsume(const std::string& host, const std::string& subscription, int streams, int n,
                          int executor_threads) {
  pubsub::SubscriberOptions options;
  options.subscription = subscription;
  options.streams = streams;
  if (executor_threads > 0) options.executor_threads = executor_threads;
  auto subscriber = pubsub::MakeSubscriber(options, Connection(host));
  PhaseResult r;
  if (!subscriber.ok()) {
    std::fprintf(stderr, "subscriber: %s\n", subscriber.status().ToString().c_str());
    return r;
  }
  std::atomic<std::int64_t> delivered{0};
  std::atomic<std::int64_t> finished_ns{0};
  // Waited on, not polled: a polling loop's wake-ups would be charged to the client's CPU.
  absl::Notification all_delivered;
  const double cpu_before = ProcessCpuSeconds();
  const absl::Time start = absl::Now();
  (*subscriber)->Start([&](pubsub::Message, pubsub::AckHandle h) {
    std::move(h).Ack();
    if (delivered.fetch_add(1) + 1 == n) {
      finished_ns = absl::ToUnixNanos(absl::Now());
      all_delivered.Notify();
    }
  });
  all_delivered.WaitForNotificationWithTimeout(kPhaseTimeout);
  // Shutdown waits for the last acks, which belong to the consumption's cost.
  (*subscriber)->Shutdown(absl::Seconds(30));
  r.cpu_seconds = ProcessCpuSeconds() - cpu_before;
  r.ok = finished_ns.load() != 0;
  r.seconds = absl::ToDoubleSeconds(absl::FromUnixNanos(finished_ns.load()) - start);
  r.delivered = (*subscriber)->stats().messages_received;
  return r;
}

int Run(const Flags& flags) {
  std::unique_ptr<testing::PubsubEmulator> emulator;
  std::string host = flags.emulator;
  if (host.empty()) {
    auto started = testing::PubsubEmulator::Start();
    if (!started.ok()) {
      std::fprintf(stderr, "emulator: %s\n", started.status().ToString().c_str());
      return 1;
    }
    emulator = *std::move(started);
    host = emulator->host_port();
  }
  auto admin = pubsub::MakeAdminClient(Connection(host));
  std::printf("messages per run: %d, emulator %s\n\n", flags.messages, host.c_str());
  std::printf("%7s | %14s | %14s | %8s | %9s | %10s | %12s\n", "streams", "emulator msg/s", "client msg/s",
              "% pace", "CPU us/msg", "delivered", "peak RSS MiB");
  std::printf("--------+----------------+----------------+----------+-----------+------------+-------------\n");
  int failures = 0;
  for (int streams : flags.streams) {
    const std::string topic = absl::StrCat(kProject, "/topics/bench-", streams);
    const std::string raw_sub = absl::StrCat(kProject, "/subscriptions/raw-", streams);
    const std::string client_sub = absl::StrCat(kProject, "/subscriptions/client-", streams);
    if (auto t = admin->CreateTopic(topic); !t.ok()) {
      std::fprintf(stderr, "create topic: %s\n", t.status().ToString().c_str());
      return 1;
    }
    for (const auto& name : {raw_sub, client_sub}) {
      v1::Subscription s;
      s.set_name(name);
      s.set_topic(topic);
      s.set_ack_deadline_seconds(60);
      if (auto c = admin->CreateSubscription(s); !c.ok()) {
        std::fprintf(stderr, "create subscription: %s\n", c.status().ToString().c_str());
        return 1;
      }
    }
    if (!Publish(host, topic, flags.messages)) return 1;

    PhaseResult raw;
    if (flags.client_only) {
      raw.ok = true;
      raw.seconds = 0;
    } else {
      raw = RawPace(host, raw_sub, streams, flags.messages);
    }
    const PhaseResult client = ClientConsume(host, client_sub, streams, flags.messages, flags.executor_threads);
    if (!raw.ok || !client.ok) {
      std::fprintf(stderr, "streams=%d: a phase did not finish within %s (raw %s, client %s)\n", streams,
                   absl::FormatDuration(kPhaseTimeout).c_str(), raw.ok ? "ok" : "timed out",
                   client.ok ? "ok" : "timed out");
      ++failures;
      continue;
    }
    const double raw_rate = raw.seconds > 0 ? flags.messages / raw.seconds : 0;
    const double client_rate = flags.messages / client.seconds;
    std::printf("%7d | %14.0f | %14.0f | %7.1f%% | %9.2f | %10lld | %12.1f\n", streams, raw_rate, client_rate,
                100.0 * client_rate / raw_rate, 1e6 * client.cpu_seconds / flags.messages,
                static_cast<long long>(client.delivered), static_cast<double>(PeakRssKib()) / 1024.0);
    std::fflush(stdout);
    (void)admin->DeleteSubscription(raw_sub);
    (void)admin->DeleteSubscription(client_sub);
    (void)admin->DeleteTopic(topic);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace schedsvc::bench

int main(int argc, char** argv) {
  schedsvc::DisableMutexDeadlockDetection();
  schedsvc::bench::Flags flags;
  if (!schedsvc::bench::ParseFlags(argc, argv, flags)) {
    std::fprintf(stderr, "usage: %s [--messages=N] [--streams=1,5,20] [--emulator=HOST:PORT] [--client-only] [--executor-threads=N]\n", argv[0]);
    return 2;
  }
  return schedsvc::bench::Run(flags);
}
