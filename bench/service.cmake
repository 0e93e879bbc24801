# schedule-service end-to-end benchmark (issue 3 item 14): emulator + nginx auth_basic backend + the
# service binary. Run: build/bench/service_dispatch_bench [--messages=20000] [--streams=5,20];
# figures in docs/benchmarks.md ("schedule-service (issue 3)").
schedsvc_binary(service_dispatch_bench
  SOURCES service_dispatch_bench.cc
  DEPS schedsvc_pubsub schedsvc_testing schedsvc_prometheus_text PkgConfig::HTTPLIB absl::strings absl::time absl::synchronization)
add_dependencies(service_dispatch_bench schedule-service)
