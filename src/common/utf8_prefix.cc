#include "src/common/utf8_prefix.h"

namespace schedsvc {

absl::string_view Utf8Prefix(absl::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  std::size_t n = max_bytes;
  // Back off over continuation bytes (10xxxxxx) to the start of the sequence that would be split.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace schedsvc
