// DefaultJobRunner: the production JobRunner. Pub/Sub targets go through our publisher
// (schedsvc::pubsub::MakePublisher, one per topic, created on first use and cached; it honours
// PUBSUB_EMULATOR_HOST); publishes are asynchronous and the publisher's per-message callback calls `done`
// with the message id the publish answered (run on the publisher's transport thread), so 10,000 due jobs become a few batched Publish RPCs
// with no future or thread hop per message. HTTP targets run as blocking libcurl
// calls on `http_executor` (a pool sized for the concurrent calls wanted), never on the loop's timer
// thread. The job's data and attributes are published unchanged; nothing is added.
// Thread-safe. The destructor shuts the publishers down and waits for outstanding results, so whatever a
// `done` refers to (the scheduler loop) must outlive the runner.
#ifndef SCHEDSVC_SCHEDULER_RUNNER_DEFAULT_JOB_RUNNER_H_
#define SCHEDSVC_SCHEDULER_RUNNER_DEFAULT_JOB_RUNNER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "src/common/executor.h"
#include "src/pubsub/connection_options.h"
#include "src/pubsub/publisher.h"
#include "src/scheduler/runner/job_runner.h"

namespace schedsvc::scheduler {

class DefaultJobRunner final : public JobRunner {
 public:
  // `http_executor` must outlive the runner. `connection` is used for every publisher.
  DefaultJobRunner(Executor& http_executor, pubsub::ConnectionOptions connection = {});
  ~DefaultJobRunner() override;

  DefaultJobRunner(const DefaultJobRunner&) = delete;
  DefaultJobRunner& operator=(const DefaultJobRunner&) = delete;

  void Start(const Job& job, absl::Time schedule_time, std::function<void(AttemptReport)> done) override;

 private:
  absl::StatusOr<pubsub::Publisher*> PublisherFor(const std::string& topic);

  Executor& http_executor_;
  const pubsub::ConnectionOptions connection_;

  absl::Mutex publishers_mu_;
  std::map<std::string, std::unique_ptr<pubsub::Publisher>> publishers_ ABSL_GUARDED_BY(publishers_mu_);
};

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_RUNNER_DEFAULT_JOB_RUNNER_H_
