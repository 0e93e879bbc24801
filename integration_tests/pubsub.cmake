# Our Pub/Sub client against the official emulator. Each test binary starts its own
# emulator on a free loopback port.
foreach(t delivery lease reconnect stream_health)
  schedsvc_test(pubsub_${t}_integration_test
    SOURCES pubsub_${t}_integration_test.cc
    DEPS schedsvc_pubsub schedsvc_testing absl::strings absl::time absl::synchronization
    INTEGRATION TIMEOUT 300)
endforeach()
