// Debian's abseil is built without NDEBUG, so every absl::Mutex acquisition records lock order for
// deadlock detection (GraphCycles), a debug aid that costs every lock acquisition a graph update.
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
