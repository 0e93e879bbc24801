#include "src/scheduler/rest/jobs_handler.h"

#include <httplib.h>

#include <cstddef>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/scheduler/location_page.h"
#include "src/scheduler/rest/job_json.h"
#include "src/scheduler/rest/update_mask.h"
#include "src/scheduler/rest/json_reply.h"

namespace schedsvc::scheduler {
namespace {

using nlohmann::json;

constexpr char kRegionLabel[] = "cloud.googleapis.com/region";

void ReplyJob(httplib::Response& res, const absl::StatusOr<Job>& job) {
  if (!job.ok()) return ReplyError(res, job.status());
  absl::StatusOr<json> body = JobToJson(*job);
  if (!body.ok()) return ReplyError(res, body.status());
  Reply(res, *body);
}

// Parses the request body as a JSON object ("{}" when empty).
absl::StatusOr<json> ParseBody(const httplib::Request& req) {
  if (req.body.empty()) return json::object();
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return absl::InvalidArgumentError("Invalid JSON payload received: the body is not a JSON object.");
  }
  return body;
}

absl::StatusOr<int> PageSize(const httplib::Request& req) {
  if (!req.has_param("pageSize")) return 0;
  int size = 0;
  if (!absl::SimpleAtoi(req.get_param_value("pageSize"), &size) || size < 0) {
    return absl::InvalidArgumentError("Invalid value for pageSize.");
  }
  return size;
}

std::string Parent(const httplib::Request& req) {
  return absl::StrCat("projects/", req.matches[1].str(), "/locations/", req.matches[2].str());
}

// App Engine names two regions without the trailing "1".
std::string AppEngineLocation(const std::string& region) {
  if (region == "us-central1") return "us-central";
  if (region == "europe-west1") return "europe-west";
  return region;
}

}  // namespace

JobsHandler::JobsHandler(SchedulerService& service, JobsHandlerOptions options)
    : service_(service), options_(std::move(options)) {}

void JobsHandler::Register(httplib::Server& server) {
  const std::string project = "/v1/projects/([^/]+)";
  const std::string location = project + "/locations/([^/]+)";
  const std::string jobs = location + "/jobs";
  const std::string job = jobs + "/([^/:]+)";

  server.Get(project + "/locations", [this](const httplib::Request& req, httplib::Response& res) {
    absl::StatusOr<int> page_size = PageSize(req);
    if (!page_size.ok()) return ReplyError(res, page_size.status());
    absl::StatusOr<LocationPage> page =
        PageOfLocations(options_.locations.size(), *page_size, req.get_param_value("pageToken"));
    if (!page.ok()) return ReplyError(res, page.status());
    json list = json::array();
    for (std::size_t i = page->begin; i < page->end; ++i) {
      const std::string& id = options_.locations[i];
      list.push_back({{"name", absl::StrCat("projects/", req.matches[1].str(), "/locations/", id)},
                      {"locationId", id},
                      {"labels", {{kRegionLabel, id}}}});
    }
    json body = {{"locations", list}};
    if (!page->next_page_token.empty()) body["nextPageToken"] = page->next_page_token;
    Reply(res, body);
  });

  server.Get(location, [this](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[2].str();
    for (const std::string& l : options_.locations) {
      if (l == id) {
        return Reply(res, {{"name", Parent(req)}, {"locationId", id}, {"labels", {{kRegionLabel, id}}}});
      }
    }
    ReplyError(res, absl::NotFoundError(absl::StrCat("Location \"", id, "\" not found.")));
  });

  server.Get("/v1/apps/([^/]+)", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1].str();
    Reply(res, {{"name", absl::StrCat("apps/", id)},
                {"id", id},
                {"locationId", AppEngineLocation(options_.locations.front())}});
  });

  server.Get(jobs, [this](const httplib::Request& req, httplib::Response& res) {
    absl::StatusOr<int> page_size = PageSize(req);
    if (!page_size.ok()) return ReplyError(res, page_size.status());
    absl::StatusOr<JobPage> page =
        service_.ListJobs(Parent(req), *page_size, req.get_param_value("pageToken"));
    if (!page.ok()) return ReplyError(res, page.status());
    json body = json::object();
    if (!page->jobs.empty()) {
      json list = json::array();
      for (const Job& j : page->jobs) {
        absl::StatusOr<json> item = JobToJson(j);
        if (!item.ok()) return ReplyError(res, item.status());
        list.push_back(*std::move(item));
      }
      body["jobs"] = std::move(list);
    }
    if (!page->next_page_token.empty()) body["nextPageToken"] = page->next_page_token;
    Reply(res, body);
  });

  server.Post(jobs, [this](const httplib::Request& req, httplib::Response& res) {
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return ReplyError(res, body.status());
    absl::StatusOr<JobRequest> parsed = JobFromJson(*body);
    if (!parsed.ok()) return ReplyError(res, parsed.status());
    ReplyJob(res, service_.CreateJob(Parent(req), *std::move(parsed)));
  });

  server.Get(job, [this](const httplib::Request& req, httplib::Response& res) {
    ReplyJob(res, service_.GetJob(JobPath(req)));
  });

  server.Patch(job, [this](const httplib::Request& req, httplib::Response& res) {
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return ReplyError(res, body.status());
    const std::vector<std::string> paths = ParseUpdateMask(req.get_param_value("updateMask"));
    const json patch = *std::move(body);
    ReplyJob(res, service_.UpdateJob(JobPath(req), [&](const Job& current) -> absl::StatusOr<JobRequest> {
      absl::StatusOr<json> stored = JobToJson(current);
      if (!stored.ok()) return stored.status();
      absl::StatusOr<json> merged = ApplyUpdateMask(*stored, patch, paths);
      if (!merged.ok()) return merged.status();
      return JobFromJson(*merged);
    }));
  });

  server.Delete(job, [this](const httplib::Request& req, httplib::Response& res) {
    absl::Status status = service_.DeleteJob(JobPath(req));
    if (!status.ok()) return ReplyError(res, status);
    Reply(res, json::object());
  });

  server.Post(job + ":(pause|resume|run)", [this](const httplib::Request& req, httplib::Response& res) {
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return ReplyError(res, body.status());
    const std::string verb = req.matches[4].str();
    const std::string name = JobPath(req);
    if (verb == "pause") return ReplyJob(res, service_.PauseJob(name));
    if (verb == "resume") return ReplyJob(res, service_.ResumeJob(name));
    ReplyJob(res, service_.RunJob(name));
  });
}

}  // namespace schedsvc::scheduler
