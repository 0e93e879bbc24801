# Pure scheduling logic: cron parsing, English-like schedules, fire times in a time zone, retry backoff.
# No I/O, no threads; the server (server.cmake) links this.
schedsvc_library(schedsvc_scheduler_core
  SOURCES cron_expression.cc english_schedule.cc cron_schedule.cc retry_backoff.cc
  DEPS absl::status absl::statusor absl::strings absl::cord absl::time absl::civil_time)

schedsvc_test(scheduler_core_test
  SOURCES cron_expression_test.cc english_schedule_test.cc cron_schedule_test.cc retry_backoff_test.cc
  DEPS schedsvc_scheduler_core)
