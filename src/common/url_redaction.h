// RedactUrl: the form of a URL that may appear in an error message or a log line. Whatever could be user
// info — everything between the scheme's "//" and the last '@' before the query or fragment (or, when the
// text has no "//", before the last '@' anywhere) — is replaced by "***", so `ftp://u:PW@host/x`,
// `https//u:PW@host`, `HTTP://u:PW@host` and `https://u:pa/ss@host` all lose the password even though none
// of them is a URL the service accepts. A path holding '@' loses more than it must; only error text
// suffers. Control characters are shown as '?'. Pure function; thread-safe.
#ifndef SCHEDSVC_COMMON_URL_REDACTION_H_
#define SCHEDSVC_COMMON_URL_REDACTION_H_

#include <string>

#include "absl/strings/string_view.h"

namespace schedsvc {

// Returns `url` with any user info replaced by "***" and control characters by '?'.
std::string RedactUrl(absl::string_view url);

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_URL_REDACTION_H_
