#include "src/common/url_redaction.h"

#include "absl/strings/str_cat.h"

namespace schedsvc {

std::string RedactUrl(absl::string_view url) {
  std::string out;
  std::size_t authority_start = 0;
  std::size_t authority_end = url.size();
  if (const std::size_t slashes = url.find("//"); slashes != absl::string_view::npos) {
    authority_start = slashes + 2;
    // A '/' may be part of a password ("u:pa/ss@host"), so the user info is sought up to the query.
    authority_end = url.find_first_of("?#", authority_start);
    if (authority_end == absl::string_view::npos) authority_end = url.size();
  }
  // Without "//" the whole text is searched: a malformed URL may still carry "user:password@".
  const std::size_t at = url.substr(0, authority_end).rfind('@');
  if (at != absl::string_view::npos && at >= authority_start) {
    out = absl::StrCat(url.substr(0, authority_start), "***", url.substr(at));
  } else {
    out = std::string(url);
  }
  for (char& c : out) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

}  // namespace schedsvc
