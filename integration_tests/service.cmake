# schedule-service end to end: the official emulator, the demo backend and the
# service binary as child processes. Each test binary starts its own emulator.
foreach(source service_delivery_integration_test.cc service_resilience_integration_test.cc
               service_readiness_integration_test.cc service_stuck_stdout_integration_test.cc
               service_outage_integration_test.cc service_edge_integration_test.cc
               service_push_integration_test.cc)
  get_filename_component(test ${source} NAME_WE)
  schedsvc_test(${test}
    SOURCES ${source}
    DEPS schedsvc_pubsub schedsvc_testing schedsvc_prometheus_text PkgConfig::HTTPLIB nlohmann_json::nlohmann_json
         absl::strings absl::time
    INTEGRATION TIMEOUT 400)
  add_dependencies(${test} schedule-service demo-backend)
endforeach()
# The push test signs OIDC tokens.
target_link_libraries(service_push_integration_test PRIVATE schedsvc_testing_oidc)
