#include "src/scheduler/grpc/cloud_scheduler_grpc_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "src/scheduler/job.h"
#include "src/scheduler/proto_update_mask.h"
#include "src/scheduler/update_mask_rules.h"

namespace schedsvc::scheduler {
namespace {

namespace v1 = ::google::cloud::scheduler::v1;

// Writes `job` into `response`, or returns the error.
grpc::Status ReplyJob(absl::StatusOr<Job> job, v1::Job* response) {
  if (!job.ok()) return ToGrpcStatus(job.status());
  *response = *std::move(job);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

CloudSchedulerGrpcService::CloudSchedulerGrpcService(SchedulerService& service, BearerAuth* auth)
    : service_(service), auth_(auth) {}

absl::Status CheckGrpcBearer(BearerAuth* auth, const grpc::ServerContext& context) {
  if (auth == nullptr) return absl::OkStatus();
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find("authorization");
  if (it == metadata.end()) return auth->Check("");
  return auth->Check(absl::string_view(it->second.data(), it->second.size()));
}

grpc::Status CloudSchedulerGrpcService::ListJobs(grpc::ServerContext* context, const v1::ListJobsRequest* request,
                                                 v1::ListJobsResponse* response) {
  if (absl::Status s = CheckGrpcBearer(auth_, *context); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<JobPage> page = service_.ListJobs(request->parent(), request->page_size(), request->page_token());
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (Job& job : page->jobs) *response->add_jobs() = std::move(job);
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status CloudSchedulerGrpcService::GetJob(grpc::ServerContext* context, const v1::GetJobRequest* request,
                                               v1::Job* response) {
  if (absl::Status s = CheckGrpcBearer(auth_, *context); !s.ok()) return ToGrpcStatus(s);
  return ReplyJob(service_.GetJob(request->name()), response);
}

grpc::Status CloudSchedulerGrpcService::CreateJob(grpc::ServerContext* context, const v1::CreateJobRequest* request,
                                                  v1::Job* response) {
  if (absl::Status s = CheckGrpcBearer(auth_, *context); !s.ok()) return ToGrpcStatus(s);
  // The job means what its REST body means: the same checks and defaults (job.h).
  absl::StatusOr<Job> job = JobFromRequest(request->job());
  if (!job.ok()) return ToGrpcStatus(job.status());
  return ReplyJob(service_.CreateJob(request->parent(), *std::move(job)), response);
}

grpc::Status CloudSchedulerGrpcService::UpdateJob(grpc::ServerContext* context, const v1::UpdateJobRequest* request,
                                                  v1::Job* response) {
  if (absl::Status s = CheckGrpcBearer(auth_, *context); !s.ok()) return ToGrpcStatus(s);
  // The mask is applied on the proto with the REST update-mask rules; the FieldMask's snake_case paths
  // become the REST camelCase ones.
  if (absl::Status s = CheckJobJsonForm(request->job()); !s.ok()) return ToGrpcStatus(s);
  const std::vector<std::string> paths = ParseUpdateMask(absl::StrJoin(request->update_mask().paths(), ","));
  return ReplyJob(service_.UpdateJob(request->job().name(),
                                     [&](const Job& current) -> absl::StatusOr<JobRequest> {
                                       return ApplyUpdateMaskToProto(current, request->job(), paths);
                                     }),
                  response);
}

grpc::Status CloudSchedulerGrpcService::DeleteJob(grpc::ServerContext* context, const v1::DeleteJobRequest* request,
                                                  google::protobuf::Empty* /*response*/) {
  if (absl::Status s = CheckGrpcBearer(auth_, *context); !s.ok()) return ToGrpcStatus(s);
  return ToGrpcStatus(service_.DeleteJob(request->name()));
}

grpc::Status CloudSchedulerGrpcService::PauseJob(grpc::ServerContext* context, const v1::PauseJobRequest* request,
                                                 v1::Job* response) {
  if (absl::Status s = CheckGrpcBearer(auth_, *context); !s.ok()) return ToGrpcStatus(s);
  return ReplyJob(service_.PauseJob(request->name()), response);
}

grpc::Status CloudSchedulerGrpcService::ResumeJob(grpc::ServerContext* context, const v1::ResumeJobRequest* request,
                                                  v1::Job* response) {
  if (absl::Status s = CheckGrpcBearer(auth_, *context); !s.ok()) return ToGrpcStatus(s);
  return ReplyJob(service_.ResumeJob(request->name()), response);
}

grpc::Status CloudSchedulerGrpcService::RunJob(grpc::ServerContext* context, const v1::RunJobRequest* request,
                                               v1::Job* response) {
  if (absl::Status s = CheckGrpcBearer(auth_, *context); !s.ok()) return ToGrpcStatus(s);
  return ReplyJob(service_.RunJob(request->name()), response);
}

}  // namespace schedsvc::scheduler
