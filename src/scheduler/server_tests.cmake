# Unit tests of the scheduler emulator server (label "unit").
schedsvc_test(scheduler_server_test
  SOURCES job_test.cc rest/job_json_test.cc rest/update_mask_test.cc sqlite_job_store_test.cc
          scheduler_loop_test.cc scheduler_service_test.cc http_target_caller_test.cc
          rest/bearer_auth_test.cc
  DEPS schedsvc_scheduler schedsvc_testing)
