# schedule-service benchmarks; figures in docs/benchmarks.md. (bench/compare-with-peer.sh, the comparison with
# the peer, is a script: nothing to build beyond schedule-service.)
# nginx auth_basic backend shared by service_dispatch_bench and http_client_bench.
schedsvc_library(schedsvc_bench_nginx
  SOURCES nginx_backend.cc
  DEPS schedsvc_bench_support schedsvc_testing absl::strings absl::status absl::time)

# End to end: emulator + nginx + the service binary. Run: build/bench/service_dispatch_bench
# [--messages=20000] [--streams=5,20].
schedsvc_binary(service_dispatch_bench
  SOURCES service_dispatch_bench.cc
  DEPS schedsvc_bench_nginx schedsvc_pubsub schedsvc_testing schedsvc_prometheus_text PkgConfig::HTTPLIB absl::strings absl::time absl::synchronization)
add_dependencies(service_dispatch_bench schedule-service demo-backend)

# The HTTP transport alone: CurlHttpClient -> nginx. Run: build/bench/http_client_bench [--concurrency=64].
schedsvc_binary(http_client_bench
  SOURCES http_client_bench.cc
  DEPS schedsvc_bench_nginx schedsvc_dispatch absl::strings absl::time absl::synchronization)

# The recent-deliveries ring's cost per delivery. Run: build/bench/recent_deliveries_bench.
schedsvc_binary(recent_deliveries_bench
  SOURCES recent_deliveries_bench.cc
  DEPS schedsvc_dispatch benchmark::benchmark absl::strings absl::time)
