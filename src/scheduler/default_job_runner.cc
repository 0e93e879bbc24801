#include "src/scheduler/default_job_runner.h"

#include "src/scheduler/http_target_caller.h"

namespace schedsvc::scheduler {

DefaultJobRunner::DefaultJobRunner(Executor& http_executor, pubsub::ConnectionOptions connection)
    : http_executor_(http_executor), connection_(std::move(connection)) {
  waiter_ = std::thread([this] { WaiterLoop(); });
}

DefaultJobRunner::~DefaultJobRunner() {
  {
    absl::MutexLock lock(&publishers_mu_);
    for (auto& [topic, publisher] : publishers_) publisher->Shutdown();
  }
  {
    absl::MutexLock lock(&pending_mu_);
    stopping_ = true;
  }
  waiter_.join();
}

void DefaultJobRunner::Start(const Job& job, absl::Time schedule_time,
                             std::function<void(absl::Status)> done) {
  if (job.pubsub_target.has_value()) {
    absl::StatusOr<pubsub::Publisher*> publisher = PublisherFor(job.pubsub_target->topic_name);
    if (!publisher.ok()) {
      done(publisher.status());
      return;
    }
    pubsub::OutgoingMessage message;
    message.data = job.pubsub_target->data;
    message.attributes = job.pubsub_target->attributes;
    auto result = (*publisher)->Publish(std::move(message));
    absl::MutexLock lock(&pending_mu_);
    pending_.push_back({std::move(result), std::move(done)});
    return;
  }
  if (job.http_target.has_value()) {
    absl::StatusOr<JobName> name = ParseJobName(job.name);
    std::string job_id = name.ok() ? name->job_id : job.name;
    http_executor_.Run([target = *job.http_target, job_id = std::move(job_id), schedule_time,
                        deadline = job.attempt_deadline, done = std::move(done)] {
      done(CallHttpTarget(target, job_id, schedule_time, deadline));
    });
    return;
  }
  done(absl::FailedPreconditionError("job has no target"));
}

absl::StatusOr<pubsub::Publisher*> DefaultJobRunner::PublisherFor(const std::string& topic) {
  absl::MutexLock lock(&publishers_mu_);
  auto it = publishers_.find(topic);
  if (it != publishers_.end()) return it->second.get();
  pubsub::PublisherOptions options;
  options.topic = topic;
  // A due minute can hold thousands of runs for one topic: fewer, larger Publish RPCs.
  options.max_batch_messages = 1000;
  absl::StatusOr<std::unique_ptr<pubsub::Publisher>> publisher =
      pubsub::MakePublisher(std::move(options), connection_);
  if (!publisher.ok()) return publisher.status();
  pubsub::Publisher* raw = publisher->get();
  publishers_.emplace(topic, *std::move(publisher));
  return raw;
}

void DefaultJobRunner::WaiterLoop() {
  std::deque<Pending> batch;
  for (;;) {
    {
      absl::MutexLock lock(&pending_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(pending_mu_) {
        return stopping_ || !pending_.empty();
      };
      pending_mu_.Await(absl::Condition(&ready));
      if (pending_.empty()) return;
      // Take everything queued at once: a burst of thousands of publishes then costs the lock (shared
      // with Start on the loop's thread) once per wake-up instead of once per message.
      batch.swap(pending_);
    }
    // Results arrive in roughly publish order, so waiting on them in FIFO order costs little.
    for (Pending& next : batch) {
      absl::StatusOr<std::string> id = next.result.get();
      next.done(id.ok() ? absl::OkStatus() : id.status());
    }
    batch.clear();
  }
}

}  // namespace schedsvc::scheduler
