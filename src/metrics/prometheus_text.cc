#include "src/metrics/prometheus_text.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace schedsvc::metrics {
namespace {

// Parses `{k="v",...}` at the start of `*text` (which starts with '{'), unescaping \\, \" and \n in
// values, and consumes it. nullopt if malformed.
std::optional<std::map<std::string, std::string>> ConsumeLabels(absl::string_view* text) {
  std::map<std::string, std::string> labels;
  size_t i = 1;
  const absl::string_view t = *text;
  while (true) {
    while (i < t.size() && (t[i] == ' ' || t[i] == ',')) ++i;
    if (i >= t.size()) return std::nullopt;
    if (t[i] == '}') break;
    const size_t eq = t.find('=', i);
    if (eq == absl::string_view::npos || eq + 1 >= t.size() || t[eq + 1] != '"') return std::nullopt;
    std::string key(absl::StripAsciiWhitespace(t.substr(i, eq - i)));
    std::string value;
    size_t j = eq + 2;
    for (; j < t.size() && t[j] != '"'; ++j) {
      if (t[j] == '\\' && j + 1 < t.size()) {
        ++j;
        value += t[j] == 'n' ? '\n' : t[j];
      } else {
        value += t[j];
      }
    }
    if (j >= t.size()) return std::nullopt;
    labels[std::move(key)] = std::move(value);
    i = j + 1;
  }
  text->remove_prefix(i + 1);
  return labels;
}

}  // namespace

std::optional<PrometheusSample> ParsePrometheusSample(absl::string_view line) {
  line = absl::StripAsciiWhitespace(line);
  if (line.empty() || line[0] == '#') return std::nullopt;
  PrometheusSample s;
  const size_t end = line.find_first_of("{ \t");
  if (end == absl::string_view::npos) return std::nullopt;
  s.name = std::string(line.substr(0, end));
  line.remove_prefix(end);
  line = absl::StripLeadingAsciiWhitespace(line);
  if (!line.empty() && line[0] == '{') {
    auto labels = ConsumeLabels(&line);
    if (!labels.has_value()) return std::nullopt;
    s.labels = *std::move(labels);
  }
  std::vector<absl::string_view> rest = absl::StrSplit(line, ' ', absl::SkipWhitespace());
  if (rest.empty() || !absl::SimpleAtod(rest[0], &s.value)) return std::nullopt;
  return s;
}

double SumMetric(absl::string_view exposition, absl::string_view metric,
                 const std::map<std::string, std::string>& labels) {
  double sum = 0;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    std::optional<PrometheusSample> s = ParsePrometheusSample(line);
    if (!s.has_value() || s->name != metric) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s->labels.find(k);
      if (it == s->labels.end() || it->second != v) {
        match = false;
        break;
      }
    }
    if (match) sum += s->value;
  }
  return sum;
}

}  // namespace schedsvc::metrics
