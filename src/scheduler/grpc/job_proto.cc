#include "src/scheduler/grpc/job_proto.h"

#include <google/protobuf/util/json_util.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "src/scheduler/rest/job_json.h"

namespace schedsvc::scheduler {

absl::StatusOr<google::cloud::scheduler::v1::Job> JobToProto(const Job& job) {
  google::cloud::scheduler::v1::Job proto;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(JobToJson(job).dump(), &proto, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("cannot convert job \"", job.name,
                                            "\" to google.cloud.scheduler.v1.Job: ",
                                            std::string(status.message())));
  }
  return proto;
}

absl::StatusOr<nlohmann::json> JobProtoToJson(const google::cloud::scheduler::v1::Job& proto) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = false;
  options.preserve_proto_field_names = false;
  const auto status = google::protobuf::util::MessageToJsonString(proto, &text, options);
  if (!status.ok()) {
    // The printer only fails on values JSON cannot carry, such as an out-of-range Duration or Timestamp.
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid job: ", std::string(status.message())));
  }
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InternalError("protobuf printed invalid JSON for a Job");
  return json;
}

absl::StatusOr<Job> JobFromProto(const google::cloud::scheduler::v1::Job& proto) {
  absl::StatusOr<nlohmann::json> json = JobProtoToJson(proto);
  if (!json.ok()) return json.status();
  return JobFromJson(*json);
}

}  // namespace schedsvc::scheduler
