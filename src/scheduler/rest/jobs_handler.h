// JobsHandler: the Cloud Scheduler v1 REST surface on a cpp-httplib server, as gcloud uses it
// (reference/cloud-scheduler-api.md): jobs create/get/list (paging)/patch (update masks)/delete/
// pause/resume/run, locations list/get, and the App Engine app lookup (GET /v1/apps/P) gcloud makes when
// --location is omitted. Errors are Google's JSON. Handlers run on httplib's worker threads; all state is
// in the SchedulerService, so the handler is thread-safe.
#ifndef SCHEDSVC_SCHEDULER_REST_JOBS_HANDLER_H_
#define SCHEDSVC_SCHEDULER_REST_JOBS_HANDLER_H_

#include <string>
#include <vector>

#include "src/scheduler/scheduler_service.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace schedsvc::scheduler {

struct JobsHandlerOptions {
  // Locations the emulator reports; the first is what gcloud picks when --location is omitted.
  // Jobs may be created in any location. Default: us-central1 and a few others.
  std::vector<std::string> locations = {"us-central1", "us-east1", "europe-west1", "asia-northeast1"};
};

class JobsHandler {
 public:
  // `service` must outlive the handler and the server.
  JobsHandler(SchedulerService& service, JobsHandlerOptions options = {});

  // Registers the routes on `server`.
  void Register(httplib::Server& server);

 private:
  SchedulerService& service_;
  const JobsHandlerOptions options_;
};

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_REST_JOBS_HANDLER_H_
