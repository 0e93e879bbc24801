// The rules that keep an HTTP target's request what it says (no request splitting): which user-set headers
// (HttpTarget.headers) and URIs are refused when a job is created or updated, and which headers the emulator
// drops when it sends a request because it computes them itself. ValidateJob (job.h) applies them to every
// job; the HTTP target caller (http_target_caller.h) applies them again to every attempt, so a job stored
// before these rules existed cannot split a request either. Stateless; thread-safe.
#ifndef SCHEDSVC_SCHEDULER_RUNNER_HTTP_TARGET_RULES_H_
#define SCHEDSVC_SCHEDULER_RUNNER_HTTP_TARGET_RULES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace schedsvc::scheduler {

// Returns OK when `name` is an RFC 9110 token (one or more tchar) and `value` holds no control character
// other than horizontal tab (no CR, LF or NUL: nothing that could end the header line). Otherwise
// kInvalidArgument naming the header (its name with non-printable bytes escaped, at most 64 of them);
// the value is never part of the message.
absl::Status ValidateHttpTargetHeader(absl::string_view name, absl::string_view value);

// Returns OK when `uri` holds no space and no control character (a URI must percent-encode them), otherwise
// kInvalidArgument (the URI is not part of the message).
absl::Status ValidateHttpTargetUriCharacters(absl::string_view uri);

// Returns true for the headers the emulator never sends from a job because it computes or owns them,
// compared case-insensitively: Host and Content-Length (Cloud Scheduler derives them from the uri and the
// body), the framing and connection headers Transfer-Encoding, Connection, Keep-Alive, Proxy-Connection,
// TE, Trailer and Upgrade, User-Agent and X-CloudScheduler* (Cloud Scheduler sets them), and Google's
// internal X-Google-* and X-AppEngine-*.
bool IsDroppedHttpTargetHeader(absl::string_view name);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_RUNNER_HTTP_TARGET_RULES_H_
