# The cloud-scheduler-emulator server: job model and JSON, SQLite store, scheduler loop, REST API
# (schedsvc_scheduler), the Pub/Sub + HTTP job runner (schedsvc_scheduler_runner) and the binary.
# Uses schedsvc_scheduler_core (core.cmake) for cron schedules and retry backoff.
schedsvc_library(schedsvc_scheduler
  SOURCES job.cc rest/job_json.cc rest/update_mask.cc rest/google_error.cc rest/jobs_handler.cc
          rest/bearer_auth.cc listen_address.cc sqlite_job_store.cc scheduler_metrics.cc scheduler_loop.cc
          scheduler_service.cc http_target_caller.cc http_target_rules.cc location_page.cc
  DEPS schedsvc_scheduler_core schedsvc_common nlohmann_json::nlohmann_json SQLite::SQLite3
       CURL::libcurl PkgConfig::HTTPLIB prometheus-cpp::core absl::strings absl::synchronization
       absl::time absl::status absl::statusor)

# The gRPC API (google.cloud.scheduler.v1.CloudScheduler) over the same SchedulerService as REST.
schedsvc_library(schedsvc_scheduler_grpc
  SOURCES grpc/job_proto.cc grpc/cloud_scheduler_grpc_service.cc grpc/locations_grpc_service.cc
  DEPS schedsvc_scheduler schedsvc_protos gRPC::grpc++ protobuf::libprotobuf absl::strings)

if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/server_tests.cmake)
  include(${CMAKE_CURRENT_SOURCE_DIR}/server_tests.cmake)
endif()

# Pub/Sub (our publisher) and HTTP (libcurl) targets.
schedsvc_library(schedsvc_scheduler_runner
  SOURCES default_job_runner.cc
  DEPS schedsvc_scheduler schedsvc_pubsub)

schedsvc_binary(cloud-scheduler-emulator
  SOURCES main.cc
  DEPS schedsvc_scheduler_runner CLI11::CLI11)
target_link_libraries(cloud-scheduler-emulator PRIVATE schedsvc_scheduler_grpc schedsvc_http_server_limits)
