# Micro-benchmarks of src/common (Google Benchmark). Figures in docs/benchmarks.md.
schedsvc_binary(json_log_bench
  SOURCES json_log_bench.cc
  DEPS schedsvc_common benchmark::benchmark absl::strings)
