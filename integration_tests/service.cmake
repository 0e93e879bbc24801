# schedule-service end to end: the official emulator, the demo backend and the
# service binary as child processes. Each test binary starts its own emulator.
foreach(t delivery resilience readiness stuck_stdout outage edge)
  schedsvc_test(service_${t}_integration_test
    SOURCES service_${t}_integration_test.cc
    DEPS schedsvc_pubsub schedsvc_testing schedsvc_prometheus_text PkgConfig::HTTPLIB nlohmann_json::nlohmann_json
         absl::strings absl::time
    INTEGRATION TIMEOUT 400)
  add_dependencies(service_${t}_integration_test schedule-service demo-backend)
endforeach()
