# 10,000 jobs due in the same minute, published to the official Pub/Sub emulator: lateness and CPU.
schedsvc_binary(scheduler_fire_bench
  SOURCES scheduler_fire_bench.cc
  DEPS schedsvc_bench_support schedsvc_scheduler_runner schedsvc_testing)
