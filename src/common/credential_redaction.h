// RedactCredentialsInText: free text a user wrote (a job's attribute values) with the credentials it may
// carry replaced, the rest left readable:
// - URL user info: in every whitespace-separated word holding "//", what RedactUrl (url_redaction.h)
//   treats as user info becomes "***" ("https://u:pw@host/x" -> "https://***@host/x"). A word without
//   "//" keeps its '@' (an e-mail address stays as it is).
// - Credential query parameters: the value of a `name=value` pair that starts the text, a word, or follows
//   '?', '&' or ';', and whose name (case-insensitive, percent-decoded) is one of kCredentialParameterNames
//   or contains one of kCredentialNameParts, becomes `replacement`; the value ends at '&', ';',
//   '#', whitespace or the end ("/hook?token=abc&x=1" -> "/hook?token=<redacted>&x=1").
// RedactAttributeValue: the value of a named attribute (or header) as people may see it -- the whole value
// hidden when the name looks like a credential, otherwise RedactCredentialsInText. Used wherever message
// attributes are shown: the recent-deliveries ring and the console's dead letters.
// Pure functions; thread-safe.
#ifndef SCHEDSVC_COMMON_CREDENTIAL_REDACTION_H_
#define SCHEDSVC_COMMON_CREDENTIAL_REDACTION_H_

#include <string>

#include "absl/strings/string_view.h"

namespace schedsvc {

// Parameter names (lower case) whose values are credentials.
inline constexpr absl::string_view kCredentialParameterNames[] = {"key", "sig", "pwd", "auth"};
// Case-insensitive parts of attribute, header and parameter names whose values are never shown:
// access_token, client_secret, X-Goog-Signature, X-Amz-Credential, api_key, Authorization, ...
inline constexpr absl::string_view kCredentialNameParts[] = {"authorization", "password", "secret", "token",
                                                              "credential", "apikey", "api_key", "api-key",
                                                              "cookie", "passwd", "signature"};

// Stands in for what RedactAttributeValue hides.
inline constexpr absl::string_view kRedactedValue = "<redacted>";

// Returns `text` with URL user info replaced by "***" and credential parameter values by `replacement`.
std::string RedactCredentialsInText(absl::string_view text, absl::string_view replacement);

// Returns kRedactedValue when `name` contains one of kCredentialNameParts (case-insensitive), otherwise
// RedactCredentialsInText(value, kRedactedValue).
std::string RedactAttributeValue(absl::string_view name, absl::string_view value);

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_CREDENTIAL_REDACTION_H_
