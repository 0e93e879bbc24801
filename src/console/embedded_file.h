// The console's files as built into the binary: the table that embed_assets.cmake generates at build time
// from src/console/web/ (one entry per file). Read through console_assets.h. Immutable; thread-safe.
#ifndef SCHEDSVC_CONSOLE_EMBEDDED_FILE_H_
#define SCHEDSVC_CONSOLE_EMBEDDED_FILE_H_

#include <cstddef>

namespace schedsvc::console_internal {

struct EmbeddedFile {
  const char* name;            // file name in src/console/web/, e.g. "index.html"
  const unsigned char* bytes;  // the file's bytes (followed by one 0 byte, not counted in `size`)
  std::size_t size;
};

// Defined in the generated source.
extern const EmbeddedFile kEmbeddedFiles[];
extern const std::size_t kEmbeddedFileCount;

}  // namespace schedsvc::console_internal

#endif  // SCHEDSVC_CONSOLE_EMBEDDED_FILE_H_
