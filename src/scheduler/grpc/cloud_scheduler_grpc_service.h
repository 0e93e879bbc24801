// CloudSchedulerGrpcService: google.cloud.scheduler.v1.CloudScheduler over gRPC, for the official client
// libraries. A thin transport over the same SchedulerService the REST handler uses (validation, state
// changes and persistence live there, update masks in proto_update_mask.h with the REST rules, never
// here): each RPC passes the request's Job proto to the service (after the checks and defaults a REST body
// gets, job.h) and returns the service's Job as is. Errors keep the
// service's code and message (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ...).
// With a BearerAuth every call must carry the metadata "authorization: Bearer <token>", as REST requires
// the header. Calls run on gRPC's threads; the object holds no mutable state, so it is thread-safe.
#ifndef SCHEDSVC_SCHEDULER_GRPC_CLOUD_SCHEDULER_GRPC_SERVICE_H_
#define SCHEDSVC_SCHEDULER_GRPC_CLOUD_SCHEDULER_GRPC_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "google/cloud/scheduler/v1/cloudscheduler.grpc.pb.h"
#include "src/scheduler/rest/bearer_auth.h"
#include "src/scheduler/scheduler_service.h"

namespace schedsvc::scheduler {

class CloudSchedulerGrpcService final : public google::cloud::scheduler::v1::CloudScheduler::Service {
 public:
  // `service` must outlive this object and the gRPC server. `auth` is null for no authentication (only
  // acceptable on loopback), otherwise it must outlive the server too.
  CloudSchedulerGrpcService(SchedulerService& service, BearerAuth* auth);

  grpc::Status ListJobs(grpc::ServerContext* context,
                        const google::cloud::scheduler::v1::ListJobsRequest* request,
                        google::cloud::scheduler::v1::ListJobsResponse* response) override;
  grpc::Status GetJob(grpc::ServerContext* context, const google::cloud::scheduler::v1::GetJobRequest* request,
                      google::cloud::scheduler::v1::Job* response) override;
  grpc::Status CreateJob(grpc::ServerContext* context,
                         const google::cloud::scheduler::v1::CreateJobRequest* request,
                         google::cloud::scheduler::v1::Job* response) override;
  grpc::Status UpdateJob(grpc::ServerContext* context,
                         const google::cloud::scheduler::v1::UpdateJobRequest* request,
                         google::cloud::scheduler::v1::Job* response) override;
  grpc::Status DeleteJob(grpc::ServerContext* context,
                         const google::cloud::scheduler::v1::DeleteJobRequest* request,
                         google::protobuf::Empty* response) override;
  grpc::Status PauseJob(grpc::ServerContext* context,
                        const google::cloud::scheduler::v1::PauseJobRequest* request,
                        google::cloud::scheduler::v1::Job* response) override;
  grpc::Status ResumeJob(grpc::ServerContext* context,
                         const google::cloud::scheduler::v1::ResumeJobRequest* request,
                         google::cloud::scheduler::v1::Job* response) override;
  grpc::Status RunJob(grpc::ServerContext* context, const google::cloud::scheduler::v1::RunJobRequest* request,
                      google::cloud::scheduler::v1::Job* response) override;

 private:
  SchedulerService& service_;
  BearerAuth* const auth_;
};

// Returns the gRPC status with the same code and message (the numeric codes are identical).
grpc::Status ToGrpcStatus(const absl::Status& status);

// OK when `auth` is null, else the result of checking the call's "authorization" metadata (kUnauthenticated
// when it is missing or wrong). Shared by every gRPC service of the emulator.
absl::Status CheckGrpcBearer(BearerAuth* auth, const grpc::ServerContext& context);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_GRPC_CLOUD_SCHEDULER_GRPC_SERVICE_H_
