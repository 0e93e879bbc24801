# Pub/Sub client consume benchmark (issue 2 item 8): a standalone program, not a test.
# Run: build/bench/pubsub_consume_bench [--messages=20000] [--streams=1,5,20]; figures in docs/benchmarks.md.
schedsvc_binary(pubsub_consume_bench
  SOURCES pubsub_consume_bench.cc
  DEPS schedsvc_bench_support schedsvc_pubsub schedsvc_testing absl::strings absl::time absl::synchronization gRPC::grpc++)
