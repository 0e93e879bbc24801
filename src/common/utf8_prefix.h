// Utf8Prefix: cutting text to a byte budget without splitting a UTF-8 sequence, so what is kept stays valid
// UTF-8 when the input was (Pub/Sub attribute values must be; JSON answers should be). Pure; thread-safe.
#ifndef SCHEDSVC_COMMON_UTF8_PREFIX_H_
#define SCHEDSVC_COMMON_UTF8_PREFIX_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace schedsvc {

// Returns the longest prefix of `s` of at most `max_bytes` bytes that does not split a UTF-8 sequence.
absl::string_view Utf8Prefix(absl::string_view s, std::size_t max_bytes);

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_UTF8_PREFIX_H_
