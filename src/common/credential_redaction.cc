#include "src/common/credential_redaction.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "src/common/url_redaction.h"

namespace schedsvc {
namespace {

constexpr absl::string_view kUrlAuthorityMark = "//";

bool IsSpace(char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); }
// A parameter starts after one of these (or a space, or at the start of the text).
bool IsParameterSeparator(char c) { return c == '?' || c == '&' || c == ';'; }
// A parameter's value ends at one of these (or a space, or the end of the text).
bool IsValueEnd(char c) { return c == '&' || c == ';' || c == '#'; }
// A parameter's name ends at one of these (or a space); only '=' makes it a name=value pair.
bool IsNameEnd(char c) { return c == '=' || c == '?' || c == '&' || c == ';' || c == '#' || c == '/'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  const char lower = absl::ascii_tolower(static_cast<unsigned char>(c));
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

// `s` lower-cased with each %XX replaced by its byte ("API%5FKEY" -> "api_key").
std::string DecodedLowerName(absl::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  absl::AsciiStrToLower(&out);
  return out;
}

bool IsCredentialParameterName(absl::string_view name) {
  const std::string lower = DecodedLowerName(name);
  for (absl::string_view exact : kCredentialParameterNames) {
    if (lower == exact) return true;
  }
  for (absl::string_view part : kCredentialNameParts) {
    if (absl::StrContains(lower, part)) return true;
  }
  return false;
}

// `text` with RedactUrl applied to each whitespace-separated word holding "//".
std::string RedactUserInfo(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (IsSpace(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && !IsSpace(text[end])) ++end;
    const absl::string_view word = text.substr(i, end - i);
    if (absl::StrContains(word, kUrlAuthorityMark)) {
      out.append(RedactUrl(word));
    } else {
      out.append(word.data(), word.size());
    }
    i = end;
  }
  return out;
}

// `text` with the values of credential parameters replaced by `replacement`.
std::string RedactParameters(absl::string_view text, absl::string_view replacement) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const bool at_start = i == 0 || IsSpace(text[i - 1]) || IsParameterSeparator(text[i - 1]);
    if (at_start) {
      std::size_t eq = i;
      while (eq < text.size() && !IsSpace(text[eq]) && !IsNameEnd(text[eq])) ++eq;
      if (eq > i && eq < text.size() && text[eq] == '=' && IsCredentialParameterName(text.substr(i, eq - i))) {
        std::size_t value_end = eq + 1;
        while (value_end < text.size() && !IsSpace(text[value_end]) && !IsValueEnd(text[value_end])) {
          ++value_end;
        }
        out.append(text.data() + i, eq + 1 - i);
        if (value_end > eq + 1) out.append(replacement.data(), replacement.size());
        i = value_end;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

}  // namespace

std::string RedactCredentialsInText(absl::string_view text, absl::string_view replacement) {
  // Most values (a backend name, a method, a traceparent) hold neither a parameter nor a URL authority.
  const bool has_parameter = text.find('=') != absl::string_view::npos;
  const bool has_authority = absl::StrContains(text, kUrlAuthorityMark);
  if (!has_parameter && !has_authority) return std::string(text);
  const std::string without_user_info = has_authority ? RedactUserInfo(text) : std::string(text);
  return has_parameter ? RedactParameters(without_user_info, replacement) : without_user_info;
}

std::string RedactAttributeValue(absl::string_view name, absl::string_view value) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (absl::string_view part : kCredentialNameParts) {
    if (absl::StrContains(lower, part)) return std::string(kRedactedValue);
  }
  return RedactCredentialsInText(value, kRedactedValue);
}

}  // namespace schedsvc
