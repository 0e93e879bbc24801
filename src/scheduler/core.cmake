# Pure scheduling logic: cron parsing, English-like schedules, fire times in a time zone, retry backoff.
# No I/O, no threads; the server (server.cmake) links this.
schedsvc_library(schedsvc_scheduler_core
  SOURCES cron_expression.cc english_schedule.cc cron_schedule.cc retry_backoff.cc
  DEPS absl::status absl::statusor absl::strings absl::cord absl::time absl::civil_time)
