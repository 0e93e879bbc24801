// EmulatorExtensionsHandler: REST endpoints Cloud Scheduler does not have, under /emulator/v1/ so they can
// never collide with its v1 API (docs/scheduler-emulator.md, "Emulator extensions"):
//   GET /emulator/v1/projects/P/locations/L/jobs/J/runs?pageSize=N               run history, newest first
//   GET /emulator/v1/projects/P/locations/L/jobs/J/nextScheduleTimes?count=N     the next fire times
// Errors are Google's JSON (google_error.h); the server's bearer-token rule applies to them as to /v1.
// Handlers run on httplib's worker threads; state is in the SchedulerService, so the handler is thread-safe.
#ifndef SCHEDSVC_SCHEDULER_REST_EMULATOR_EXTENSIONS_HANDLER_H_
#define SCHEDSVC_SCHEDULER_REST_EMULATOR_EXTENSIONS_HANDLER_H_

#include "nlohmann/json.hpp"
#include "src/common/clock.h"
#include "src/scheduler/next_schedule_times.h"
#include "src/scheduler/scheduler_service.h"
#include "src/scheduler/store/job_store.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace schedsvc::scheduler {

// How many runs a request gets when it names no pageSize, and the range it may ask for.
inline constexpr int kDefaultRunsPageSize = 20;
inline constexpr int kMinRunsPageSize = 1;
inline constexpr int kMaxRunsPageSize = 100;

class EmulatorExtensionsHandler {
 public:
  // `service` and `clock` (the wall clock: next fire times are counted from its now) must outlive the
  // handler and the server.
  EmulatorExtensionsHandler(SchedulerService& service, const Clock& clock);

  // Registers the routes on `server`.
  void Register(httplib::Server& server);

 private:
  SchedulerService& service_;
  const Clock& clock_;
};

// Returns one run history entry: {"scheduleTime","attemptTime","attempt","manual","status":{"code",
// "message"}} plus "messageId" when the attempt published a message.
nlohmann::json RunRecordToJson(const RunRecord& run);

// Returns {"timeZone":..., "scheduleTimes":[{"time":<RFC 3339 UTC>,"localTime":<RFC 3339 with offset>}]}.
nlohmann::json NextScheduleTimesToJson(const NextScheduleTimes& next);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_REST_EMULATOR_EXTENSIONS_HANDLER_H_
