// The console page's files (src/console/web/: index.html, app.js, style.css), built into the binary at
// build time (embed_assets.cmake), and the URL path each is served at: "/" is index.html, "/<name>" every
// file. Served by ConsoleServer with the Content-Type chosen here. Immutable; thread-safe.
#ifndef SCHEDSVC_CONSOLE_CONSOLE_ASSETS_H_
#define SCHEDSVC_CONSOLE_CONSOLE_ASSETS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schedsvc::console {

struct ConsoleAsset {
  std::string_view content_type;  // e.g. "text/html; charset=utf-8"
  std::string_view body;          // the file's bytes; valid for the life of the process
};

// Returns the file served at URL path `path` ("/" or "/index.html": index.html; "/app.js": app.js), or
// nullopt for any other path.
std::optional<ConsoleAsset> FindConsoleAsset(std::string_view path);

// Returns the Content-Type for a file name by its extension (.html, .js, .css, .png, .svg, .json; else
// application/octet-stream).
std::string_view ContentTypeFor(std::string_view file_name);

// Returns the URL paths of the embedded files ("/index.html", ...), in build order.
std::vector<std::string> ConsoleAssetPaths();

}  // namespace schedsvc::console

#endif  // SCHEDSVC_CONSOLE_CONSOLE_ASSETS_H_
