#include "src/scheduler/rest/emulator_extensions_handler.h"

#include <httplib.h>

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/scheduler/json_time.h"
#include "src/scheduler/rest/json_reply.h"

namespace schedsvc::scheduler {
namespace {

using nlohmann::json;

// Returns the integer query parameter `name`, `fallback` when it is absent. kInvalidArgument naming the
// parameter and the range when it is not an integer in [min, max].
absl::StatusOr<int> IntParam(const httplib::Request& req, const char* name, int fallback, int min, int max) {
  if (!req.has_param(name)) return fallback;
  int value = 0;
  if (!absl::SimpleAtoi(req.get_param_value(name), &value) || value < min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid value for ", name, ": must be an integer between ", min, " and ", max, "."));
  }
  return value;
}

}  // namespace

json RunRecordToJson(const RunRecord& run) {
  json out = {{"scheduleTime", FormatJsonTimestamp(run.schedule_time)},
              {"attemptTime", FormatJsonTimestamp(run.attempt_time)},
              {"attempt", run.attempt},
              {"manual", run.manual},
              {"status", {{"code", run.code}, {"message", run.message}}}};
  if (!run.message_id.empty()) out["messageId"] = run.message_id;
  return out;
}

json NextScheduleTimesToJson(const NextScheduleTimes& next) {
  json times = json::array();
  for (const ScheduledFireTime& t : next.times) {
    times.push_back({{"time", FormatJsonTimestamp(t.time)}, {"localTime", t.local_time}});
  }
  return {{"timeZone", next.time_zone}, {"scheduleTimes", std::move(times)}};
}

EmulatorExtensionsHandler::EmulatorExtensionsHandler(SchedulerService& service, const Clock& clock)
    : service_(service), clock_(clock) {}

void EmulatorExtensionsHandler::Register(httplib::Server& server) {
  const std::string job = "/emulator/v1/projects/([^/]+)/locations/([^/]+)/jobs/([^/:]+)";

  server.Get(job + "/runs", [this](const httplib::Request& req, httplib::Response& res) {
    absl::StatusOr<int> page_size =
        IntParam(req, "pageSize", kDefaultRunsPageSize, kMinRunsPageSize, kMaxRunsPageSize);
    if (!page_size.ok()) return ReplyError(res, page_size.status());
    absl::StatusOr<std::vector<RunRecord>> runs = service_.ListRuns(JobPath(req), *page_size);
    if (!runs.ok()) return ReplyError(res, runs.status());
    json list = json::array();
    for (const RunRecord& run : *runs) list.push_back(RunRecordToJson(run));
    Reply(res, {{"runs", std::move(list)}});
  });

  server.Get(job + "/nextScheduleTimes", [this](const httplib::Request& req, httplib::Response& res) {
    absl::StatusOr<int> count =
        IntParam(req, "count", kDefaultNextScheduleTimes, kMinNextScheduleTimes, kMaxNextScheduleTimes);
    if (!count.ok()) return ReplyError(res, count.status());
    absl::StatusOr<Job> job = service_.GetJob(JobPath(req));
    if (!job.ok()) return ReplyError(res, job.status());
    absl::StatusOr<NextScheduleTimes> next = ComputeNextScheduleTimes(*job, clock_, *count);
    if (!next.ok()) return ReplyError(res, next.status());
    Reply(res, NextScheduleTimesToJson(*next));
  });
}

}  // namespace schedsvc::scheduler
