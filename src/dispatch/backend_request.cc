#include "src/dispatch/backend_request.h"

#include <algorithm>
#include <array>
#include <vector>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

#ifndef SCHEDSVC_VERSION
#error "SCHEDSVC_VERSION must be defined by the build (src/dispatch/CMakeLists.txt)"
#endif

namespace schedsvc::dispatch {
namespace {

constexpr absl::string_view kPathAttribute = "path";
constexpr absl::string_view kMethodAttribute = "method";
constexpr absl::string_view kContentTypeAttribute = "content_type";
constexpr absl::string_view kTraceparentAttribute = "traceparent";
constexpr absl::string_view kDefaultMethod = "POST";
constexpr absl::string_view kDefaultContentType = "application/json";
// Longest content type we pass on; real ones are far shorter.
constexpr std::size_t kMaxContentTypeLength = 256;

constexpr std::array<absl::string_view, 5> kAllowedMethods = {"POST", "PUT", "PATCH", "GET",
                                                              "DELETE"};
// Headers this builder sets itself; static config headers of the same name are dropped.
constexpr std::array<absl::string_view, 7> kOwnHeaders = {
    "Content-Type",   "Authorization", "Idempotency-Key", "X-Delivery-Attempt",
    "X-Pubsub-Delivery-Attempt", "traceparent", "User-Agent"};

bool IsUrlChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '-': case '.': case '_': case '~':                      // unreserved
    case '!': case '$': case '&': case '\'': case '(': case ')':  // sub-delims
    case '*': case '+': case ',': case ';': case '=':
    case ':': case '@': case '/': case '?': case '%':
      return true;
    default:
      return false;
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::Status InvalidPath(absl::string_view why) {
  return PermanentError(PermanentReason::kInvalidPath, absl::StrCat("invalid path attribute: ", why));
}

// Percent-decodes `text` (already checked to hold only URL characters).
absl::StatusOr<std::string> PercentDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) {
      return InvalidPath("truncated percent escape");
    }
    const int high = HexValue(text[i + 1]);
    const int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) return InvalidPath("malformed percent escape");
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

bool HasControlOrBackslash(absl::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') return true;
  }
  return false;
}

bool IsHeaderSafe(absl::string_view value) {
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return false;
  }
  return true;
}

// W3C trace-context: version "-" 32 hex trace-id "-" 16 hex parent-id "-" 2 hex flags.
bool IsWellFormedTraceparent(absl::string_view value) {
  constexpr std::array<std::size_t, 4> kFieldLengths = {2, 32, 16, 2};
  std::vector<absl::string_view> fields = absl::StrSplit(value, '-');
  if (fields.size() != kFieldLengths.size()) return false;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].size() != kFieldLengths[i]) return false;
    for (char c : fields[i]) {
      if (HexValue(c) < 0 || absl::ascii_isupper(static_cast<unsigned char>(c))) return false;
    }
  }
  return true;
}

bool IsOwnHeader(absl::string_view name) {
  for (absl::string_view own : kOwnHeaders) {
    if (absl::EqualsIgnoreCase(own, name)) return true;
  }
  return false;
}

// The backend's static `headers`, without the names the builder sets itself.
HttpHeaders StaticHeaders(const config::BackendConfig& config) {
  HttpHeaders headers;
  for (const auto& [header, value] : config.headers) {
    if (!IsOwnHeader(header)) headers.emplace_back(header, value);
  }
  return headers;
}

}  // namespace

absl::string_view UserAgent() {
  static constexpr absl::string_view kUserAgent = "schedule-service/" SCHEDSVC_VERSION;
  return kUserAgent;
}

absl::Status ValidatePath(absl::string_view path) {
  if (!absl::StartsWith(path, "/")) return InvalidPath("must start with '/'");
  for (char c : path) {
    if (!IsUrlChar(c)) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) return InvalidPath("control character");
      if (c == '\\') return InvalidPath("backslash");
      if (c == '#') return InvalidPath("fragment ('#') not allowed");
      return InvalidPath("character not allowed in a URL path (percent-encode it)");
    }
  }
  const std::size_t query_start = path.find('?');
  const absl::string_view path_part = path.substr(0, query_start);
  const absl::string_view query_part =
      query_start == absl::string_view::npos ? absl::string_view() : path.substr(query_start);

  absl::StatusOr<std::string> decoded_path = PercentDecode(path_part);
  if (!decoded_path.ok()) return decoded_path.status();
  absl::StatusOr<std::string> decoded_query = PercentDecode(query_part);
  if (!decoded_query.ok()) return decoded_query.status();
  if (HasControlOrBackslash(*decoded_path) || HasControlOrBackslash(*decoded_query)) {
    return InvalidPath("encoded control character or backslash");
  }
  if (absl::StrContains(*decoded_path, "//")) return InvalidPath("empty segment ('//')");
  for (absl::string_view segment : absl::StrSplit(*decoded_path, '/')) {
    if (segment == "..") return InvalidPath("'..' segment");
    if (segment == ".") return InvalidPath("'.' segment");
  }
  return absl::OkStatus();
}

BackendRequestBuilder::BackendRequestBuilder(const config::BackendConfig& config, const Clock& clock,
                                             absl::Duration recheck_interval)
    : config_(config),
      auth_(MakeAuthHeaderSource(config_.auth, clock, recheck_interval)),
      static_headers_(StaticHeaders(config_)) {}

absl::StatusOr<HttpRequest> BackendRequestBuilder::Build(const pubsub::Message& message, int attempt) const {
  const config::BackendConfig& cfg = config_;

  HttpRequest request;
  const auto& attributes = message.attributes;

  auto method = attributes.find(std::string(kMethodAttribute));
  request.method = method == attributes.end() ? std::string(kDefaultMethod)
                                              : absl::AsciiStrToUpper(method->second);
  if (std::find(kAllowedMethods.begin(), kAllowedMethods.end(), request.method) ==
      kAllowedMethods.end()) {
    return PermanentError(PermanentReason::kInvalidMethod,
                          "method attribute must be one of POST, PUT, PATCH, GET, DELETE");
  }

  request.url = cfg.url;
  auto path = attributes.find(std::string(kPathAttribute));
  if (path != attributes.end()) {
    if (absl::Status valid = ValidatePath(path->second); !valid.ok()) return valid;
    absl::string_view base = cfg.url;
    absl::ConsumeSuffix(&base, "/");
    request.url = absl::StrCat(base, path->second);
  }

  std::string content_type(kDefaultContentType);
  auto content_type_attr = attributes.find(std::string(kContentTypeAttribute));
  if (content_type_attr != attributes.end()) {
    content_type = content_type_attr->second;
    if (content_type.empty() || content_type.size() > kMaxContentTypeLength ||
        !IsHeaderSafe(content_type)) {
      return PermanentError(PermanentReason::kInvalidContentType,
                            "content_type attribute must be 1-256 printable ASCII characters");
    }
  }

  if (static_cast<std::int64_t>(message.data.size()) > cfg.max_body_bytes) {
    return PermanentError(PermanentReason::kBodyTooLarge,
                          absl::StrCat("message data is ", message.data.size(),
                                       " bytes; backend '", cfg.name, "' accepts at most ",
                                       cfg.max_body_bytes));
  }

  // One allocation for the whole header list.
  request.headers.reserve(static_headers_.size() + kOwnHeaders.size());
  request.headers.insert(request.headers.end(), static_headers_.begin(), static_headers_.end());
  request.headers.emplace_back("Content-Type", std::move(content_type));
  if (auth_ != nullptr) {
    absl::StatusOr<std::string> authorization = auth_->HeaderValue();
    if (!authorization.ok()) return authorization.status();
    request.headers.emplace_back("Authorization", *std::move(authorization));
  }
  request.headers.emplace_back("Idempotency-Key", message.message_id);
  request.headers.emplace_back("X-Delivery-Attempt", absl::StrCat(attempt));
  if (message.delivery_attempt > 0) {
    request.headers.emplace_back("X-Pubsub-Delivery-Attempt", absl::StrCat(message.delivery_attempt));
  }
  auto traceparent = attributes.find(std::string(kTraceparentAttribute));
  if (traceparent != attributes.end() && IsWellFormedTraceparent(traceparent->second)) {
    request.headers.emplace_back("traceparent", traceparent->second);
  }
  request.headers.emplace_back("User-Agent", std::string(UserAgent()));

  request.body = message.data;
  request.timeout = cfg.timeout;
  request.tls_verify = cfg.tls_verify;
  return request;
}

}  // namespace schedsvc::dispatch
