# schedctl end to end: the real binary against config files and the official Pub/Sub emulator.
schedsvc_test(schedctl_check_integration_test
  SOURCES schedctl_check_integration_test.cc
  DEPS schedsvc_pubsub schedsvc_testing absl::strings absl::time
  INTEGRATION TIMEOUT 300)
add_dependencies(schedctl_check_integration_test schedctl)

# schedctl pubsub apply / dlq list / dlq replay against the official Pub/Sub emulator.
schedsvc_test(schedctl_pubsub_integration_test
  SOURCES schedctl_pubsub_integration_test.cc
  DEPS schedsvc_pubsub schedsvc_testing absl::strings absl::time
  INTEGRATION TIMEOUT 300)
add_dependencies(schedctl_pubsub_integration_test schedctl)

# schedctl pubsub apply's push subscription, in-process, against the official Pub/Sub emulator.
schedsvc_test(schedctl_pubsub_push_integration_test
  SOURCES schedctl_pubsub_push_integration_test.cc
  DEPS schedsvc_cli schedsvc_pubsub schedsvc_testing absl::strings absl::time
  INTEGRATION TIMEOUT 300)

# schedctl up: the whole local pipeline started and stopped.
schedsvc_test(schedctl_up_integration_test
  SOURCES schedctl_up_integration_test.cc
  DEPS schedsvc_testing PkgConfig::HTTPLIB nlohmann_json::nlohmann_json absl::strings absl::time
  INTEGRATION TIMEOUT 300)
add_dependencies(schedctl_up_integration_test schedctl schedule-service cloud-scheduler-emulator demo-backend)

# The dead-letter round trip with schedule-service doing the dead-lettering (service_fixture.h).
schedsvc_test(schedctl_dlq_roundtrip_integration_test
  SOURCES schedctl_dlq_roundtrip_integration_test.cc
  DEPS schedsvc_pubsub schedsvc_testing schedsvc_prometheus_text PkgConfig::HTTPLIB nlohmann_json::nlohmann_json
       absl::strings absl::time
  INTEGRATION TIMEOUT 300)
add_dependencies(schedctl_dlq_roundtrip_integration_test schedctl schedule-service demo-backend)
