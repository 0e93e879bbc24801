#include "src/scheduler/runner/default_job_runner.h"

#include "src/pubsub/limits.h"
#include "src/scheduler/runner/http_target_caller.h"

namespace schedsvc::scheduler {

DefaultJobRunner::DefaultJobRunner(Executor& http_executor, pubsub::ConnectionOptions connection)
    : http_executor_(http_executor), connection_(std::move(connection)) {}

DefaultJobRunner::~DefaultJobRunner() {
  std::map<std::string, std::unique_ptr<pubsub::Publisher>> publishers;
  {
    absl::MutexLock lock(&publishers_mu_);
    publishers.swap(publishers_);
  }
  // Each Shutdown waits for its outstanding batches, so every `done` has run when this returns (outside
  // the lock: `done` is the owner's code).
  for (auto& [topic, publisher] : publishers) publisher->Shutdown();
}

void DefaultJobRunner::Start(const Job& job, absl::Time schedule_time,
                             std::function<void(AttemptReport)> done) {
  if (job.has_pubsub_target()) {
    const auto& target = job.pubsub_target();
    absl::StatusOr<pubsub::Publisher*> publisher = PublisherFor(target.topic_name());
    if (!publisher.ok()) {
      done(AttemptReport{publisher.status()});
      return;
    }
    pubsub::OutgoingMessage message;
    message.data = target.data();
    message.attributes.insert(target.attributes().begin(), target.attributes().end());
    (*publisher)->Publish(std::move(message), [done = std::move(done)](absl::StatusOr<std::string> id) {
      if (!id.ok()) return done(AttemptReport{id.status()});
      done(AttemptReport{absl::OkStatus(), *std::move(id)});
    });
    return;
  }
  if (job.has_http_target()) {
    absl::StatusOr<JobName> name = ParseJobName(job.name());
    std::string job_id = name.ok() ? name->job_id : job.name();
    http_executor_.Run([target = job.http_target(), job_id = std::move(job_id), schedule_time,
                        deadline = AttemptDeadlineOf(job), done = std::move(done)] {
      done(AttemptReport{CallHttpTarget(target, job_id, schedule_time, deadline)});
    });
    return;
  }
  done(AttemptReport{absl::FailedPreconditionError("job has no target")});
}

absl::StatusOr<pubsub::Publisher*> DefaultJobRunner::PublisherFor(const std::string& topic) {
  absl::MutexLock lock(&publishers_mu_);
  auto it = publishers_.find(topic);
  if (it != publishers_.end()) return it->second.get();
  pubsub::PublisherOptions options;
  options.topic = topic;
  // A due minute can hold thousands of runs for one topic: fewer, larger Publish RPCs.
  options.max_batch_messages = pubsub::kMaxPublishRequestMessages;
  absl::StatusOr<std::unique_ptr<pubsub::Publisher>> publisher =
      pubsub::MakePublisher(std::move(options), connection_);
  if (!publisher.ok()) return publisher.status();
  pubsub::Publisher* raw = publisher->get();
  publishers_.emplace(topic, *std::move(publisher));
  return raw;
}

}  // namespace schedsvc::scheduler
