#include "src/scheduler/rest/json_reply.h"

#include "absl/strings/str_cat.h"
#include "src/common/json_text.h"
#include "src/scheduler/rest/google_error.h"

namespace schedsvc::scheduler {
namespace {

constexpr char kJsonType[] = "application/json; charset=UTF-8";

}  // namespace

void Reply(httplib::Response& res, const nlohmann::json& body, int status) {
  res.status = status;
  res.set_content(JsonText(body), kJsonType);
}

void ReplyError(httplib::Response& res, const absl::Status& status) {
  Reply(res, GoogleErrorJson(status), HttpStatusForCode(status.code()));
}

std::string JobPath(const httplib::Request& req) {
  return absl::StrCat("projects/", req.matches[1].str(), "/locations/", req.matches[2].str(), "/jobs/",
                      req.matches[3].str());
}

}  // namespace schedsvc::scheduler
