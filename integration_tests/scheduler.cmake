# cloud-scheduler-emulator driven by the real gcloud, the official Pub/Sub emulator and a loopback HTTP server.
schedsvc_test(scheduler_gcloud_integration_test
  SOURCES scheduler_gcloud_integration_test.cc
  DEPS schedsvc_testing schedsvc_pubsub PkgConfig::HTTPLIB absl::strings
  INTEGRATION TIMEOUT 900)
add_dependencies(scheduler_gcloud_integration_test cloud-scheduler-emulator)
# cloud-scheduler-emulator's gRPC API with the generated stub, the official Pub/Sub emulator and REST.
schedsvc_test(scheduler_grpc_integration_test
  SOURCES scheduler_grpc_integration_test.cc
  DEPS schedsvc_testing schedsvc_pubsub schedsvc_protos PkgConfig::HTTPLIB nlohmann_json::nlohmann_json
       absl::strings
  INTEGRATION TIMEOUT 300)
add_dependencies(scheduler_grpc_integration_test cloud-scheduler-emulator)
# cloud-scheduler-emulator killed while a run waits for its retry: the restart resumes it (issue 4).
schedsvc_test(scheduler_restart_integration_test
  SOURCES scheduler_restart_integration_test.cc
  DEPS schedsvc_testing PkgConfig::HTTPLIB absl::strings absl::synchronization
  INTEGRATION TIMEOUT 120)
add_dependencies(scheduler_restart_integration_test cloud-scheduler-emulator)

# cloud-scheduler-emulator against hostile clients: header injection, oversized bodies, slow connections.
schedsvc_test(scheduler_edge_integration_test
  SOURCES scheduler_edge_integration_test.cc
  DEPS schedsvc_testing schedsvc_protos PkgConfig::HTTPLIB nlohmann_json::nlohmann_json absl::strings
  INTEGRATION TIMEOUT 300)
add_dependencies(scheduler_edge_integration_test cloud-scheduler-emulator)
