// SCHEDSVC_CHECK: "can't happen" conditions that stay checked in release builds, in the spirit of
// Envoy's RELEASE_ASSERT. A failed check prints the condition and location and aborts.
#ifndef SCHEDSVC_COMMON_CHECK_H_
#define SCHEDSVC_COMMON_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define SCHEDSVC_CHECK(cond)                                                        \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "SCHEDSVC_CHECK failed: %s at %s:%d\n", #cond, __FILE__, \
                   __LINE__);                                                       \
      std::abort();                                                                 \
    }                                                                               \
  } while (false)

#endif  // SCHEDSVC_COMMON_CHECK_H_
