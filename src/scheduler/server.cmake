# The cloud-scheduler-emulator server: the job model's rules (the job is the google.cloud.scheduler.v1.Job proto), SQLite store (store/), firing loop (loop/), HTTP target
# caller (runner/), REST API (rest/) — schedsvc_scheduler —, the gRPC API (schedsvc_scheduler_grpc), the
# Pub/Sub + HTTP job runner (schedsvc_scheduler_runner) and the binary.
# Uses schedsvc_scheduler_core (schedule/) for cron schedules and retry backoff.
schedsvc_library(schedsvc_scheduler
  SOURCES job.cc json_time.cc update_mask_rules.cc proto_update_mask.cc scheduler_service.cc scheduler_metrics.cc listen_address.cc location_page.cc
          next_schedule_times.cc
          store/sqlite_job_store.cc
          loop/scheduler_loop.cc
          runner/http_target_caller.cc runner/http_target_rules.cc
          rest/job_json.cc rest/update_mask.cc rest/google_error.cc rest/json_reply.cc rest/jobs_handler.cc rest/bearer_auth.cc
          rest/emulator_extensions_handler.cc
  DEPS schedsvc_scheduler_core schedsvc_common schedsvc_curl_status schedsvc_protos protobuf::libprotobuf nlohmann_json::nlohmann_json
       SQLite::SQLite3
       CURL::libcurl PkgConfig::HTTPLIB prometheus-cpp::core absl::strings absl::synchronization
       absl::time absl::status absl::statusor)

# The gRPC API (google.cloud.scheduler.v1.CloudScheduler) over the same SchedulerService as REST.
schedsvc_library(schedsvc_scheduler_grpc
  SOURCES grpc/cloud_scheduler_grpc_service.cc grpc/locations_grpc_service.cc
  DEPS schedsvc_scheduler schedsvc_protos gRPC::grpc++ protobuf::libprotobuf absl::strings)

# Pub/Sub (our publisher) and HTTP (libcurl) targets.
schedsvc_library(schedsvc_scheduler_runner
  SOURCES runner/default_job_runner.cc
  DEPS schedsvc_scheduler schedsvc_pubsub)

schedsvc_binary(cloud-scheduler-emulator
  SOURCES main.cc
  DEPS schedsvc_scheduler_runner CLI11::CLI11)
target_link_libraries(cloud-scheduler-emulator PRIVATE schedsvc_scheduler_grpc schedsvc_http_server_limits)
