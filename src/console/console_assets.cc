#include "src/console/console_assets.h"

#include <cstddef>

#include "absl/strings/str_cat.h"
#include "src/console/embedded_file.h"

namespace schedsvc::console {
namespace {

using console_internal::kEmbeddedFileCount;
using console_internal::kEmbeddedFiles;

constexpr std::string_view kIndexFile = "index.html";

struct Extension {
  std::string_view suffix;
  std::string_view content_type;
};
constexpr Extension kExtensions[] = {
    {".html", "text/html; charset=utf-8"},      {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},        {".json", "application/json"},
    {".svg", "image/svg+xml"},                  {".png", "image/png"},
};
constexpr std::string_view kDefaultContentType = "application/octet-stream";

}  // namespace

std::string_view ContentTypeFor(std::string_view file_name) {
  for (const auto& e : kExtensions) {
    if (file_name.ends_with(e.suffix)) return e.content_type;
  }
  return kDefaultContentType;
}

std::optional<ConsoleAsset> FindConsoleAsset(std::string_view path) {
  if (!path.starts_with("/")) return std::nullopt;
  std::string_view name = path.substr(1);
  if (name.empty()) name = kIndexFile;
  for (std::size_t i = 0; i < kEmbeddedFileCount; ++i) {
    const auto& file = kEmbeddedFiles[i];
    if (name != file.name) continue;
    return ConsoleAsset{ContentTypeFor(file.name),
                        std::string_view(reinterpret_cast<const char*>(file.bytes), file.size)};
  }
  return std::nullopt;
}

std::vector<std::string> ConsoleAssetPaths() {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < kEmbeddedFileCount; ++i) out.push_back(absl::StrCat("/", kEmbeddedFiles[i].name));
  return out;
}

}  // namespace schedsvc::console
