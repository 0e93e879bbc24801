# Our Pub/Sub client against the official emulator. Each test binary starts its own
# emulator on a free loopback port.
foreach(source pubsub_delivery_integration_test.cc pubsub_lease_integration_test.cc
               pubsub_reconnect_integration_test.cc pubsub_stream_health_integration_test.cc)
  get_filename_component(test ${source} NAME_WE)
  schedsvc_test(${test}
    SOURCES ${source}
    DEPS schedsvc_pubsub schedsvc_testing absl::strings absl::time absl::synchronization
    INTEGRATION TIMEOUT 300)
endforeach()
