# Unit tests of the scheduler emulator server (label "unit").
schedsvc_test(scheduler_server_test
  SOURCES job_test.cc json_time_test.cc scheduler_service_test.cc listen_address_test.cc location_page_test.cc
          next_schedule_times_test.cc
          store/sqlite_job_store_test.cc
          loop/scheduler_loop_test.cc
          runner/http_target_caller_test.cc
          proto_update_mask_test.cc
          rest/job_json_test.cc rest/update_mask_test.cc rest/bearer_auth_test.cc
          rest/emulator_extensions_handler_test.cc
  DEPS schedsvc_scheduler schedsvc_http_server_limits schedsvc_testing)
# The gRPC API: the service on a real loopback gRPC server.
schedsvc_test(scheduler_grpc_test
  SOURCES grpc/cloud_scheduler_grpc_service_test.cc grpc/locations_grpc_service_test.cc
  DEPS schedsvc_scheduler_grpc schedsvc_testing)
