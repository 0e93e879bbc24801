// Debian's abseil is built without NDEBUG, so every absl::Mutex acquisition records lock order for
// deadlock detection (GraphCycles), a debug aid: GraphCycles and the Mutex slow paths were ~3 % of the
// Pub/Sub client's perf samples at 1 stream (docs/benchmarks.md).
// Binaries and benchmarks switch it off first thing in main(); tests keep it on.
#ifndef SCHEDSVC_COMMON_MUTEX_MODE_H_
#define SCHEDSVC_COMMON_MUTEX_MODE_H_

#include "absl/synchronization/mutex.h"

namespace schedsvc {

// Call before any thread is started.
inline void DisableMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_MUTEX_MODE_H_
