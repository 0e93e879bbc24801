#include "integration_tests/deploy_metric_names.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace schedsvc::deploy_testing {
namespace {

constexpr char kOutsideHeading[] = "Names from outside";
// Prefixes of names our binaries export: never allowed from outside, or the allowlist could hide a
// metric schedule-service stopped exporting.
constexpr absl::string_view kOwnPrefixes[] = {"schedsvc_", "process_"};

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

bool IsMetricName(absl::string_view s) {
  if (s.empty() || !IsIdentStart(s[0])) return false;
  for (char c : s) {
    if (!IsIdentChar(c)) return false;
  }
  return true;
}

// Backticked tokens of one markdown line.
std::vector<std::string> BacktickedTokens(absl::string_view line) {
  std::vector<std::string> out;
  std::vector<absl::string_view> parts = absl::StrSplit(line, '`');
  for (std::size_t i = 1; i < parts.size(); i += 2) out.emplace_back(parts[i]);
  return out;
}

// PromQL words that are never metric names here: keywords, aggregation operators and modifiers.
bool IsPromQlWord(absl::string_view word) {
  static const std::set<std::string, std::less<>> kWords = {
      "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
      "group_right", "inf", "nan", "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
      "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio", "atan2", "start", "end"};
  return kWords.count(absl::AsciiStrToLower(word)) > 0;
}

// Label-list clauses: what follows in parentheses is label names.
bool IsLabelClause(absl::string_view word) {
  static const std::set<std::string, std::less<>> kClauses = {"by", "without", "on", "ignoring",
                                                              "group_left", "group_right"};
  return kClauses.count(absl::AsciiStrToLower(word)) > 0;
}

// Index just past the string literal starting at `i` (a quote character).
std::size_t SkipString(absl::string_view s, std::size_t i) {
  const char quote = s[i];
  ++i;
  while (i < s.size() && s[i] != quote) {
    if (s[i] == '\\' && quote != '`') ++i;
    ++i;
  }
  return i < s.size() ? i + 1 : i;
}

// Index just past the bracket group opening at `i` (s[i] is `open`), skipping strings inside.
std::size_t SkipGroup(absl::string_view s, std::size_t i, char open, char close) {
  int depth = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(s, i);
      continue;
    }
    if (c == open) ++depth;
    if (c == close && --depth == 0) return i + 1;
    ++i;
  }
  return i;
}

// Splits `s` at commas that are not inside brackets or strings.
std::vector<std::string> SplitTopLevelCommas(absl::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  int depth = 0;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(s, i);
      continue;
    }
    if (c == '(' || c == '{' || c == '[') ++depth;
    if (c == ')' || c == '}' || c == ']') --depth;
    if (c == ',' && depth == 0) {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
    ++i;
  }
  out.emplace_back(s.substr(start));
  return out;
}

void CollectNames(absl::string_view s, std::set<std::string>& names) {
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(s, i);
    } else if (c == '{') {
      i = SkipGroup(s, i, '{', '}');
    } else if (c == '[') {
      i = SkipGroup(s, i, '[', ']');
    } else if (c == '$') {
      ++i;
      while (i < s.size() && (IsIdentChar(s[i]) || s[i] == '{' || s[i] == '}')) ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      // A number or a duration (1e3, 0.95, 5m): never a name.
      while (i < s.size() && (IsIdentChar(s[i]) || s[i] == '.')) ++i;
    } else if (IsIdentStart(c)) {
      const std::size_t start = i;
      while (i < s.size() && IsIdentChar(s[i])) ++i;
      const absl::string_view word = s.substr(start, i - start);
      std::size_t next = i;
      while (next < s.size() && std::isspace(static_cast<unsigned char>(s[next]))) ++next;
      const bool call = next < s.size() && s[next] == '(';
      if (call && IsLabelClause(word)) {
        i = SkipGroup(s, next, '(', ')');
      } else if (call && word == "label_values") {
        const std::size_t end = SkipGroup(s, next, '(', ')');
        const absl::string_view inner = s.substr(next + 1, end - next - 2);
        std::vector<std::string> args = SplitTopLevelCommas(inner);
        if (args.size() == 2) CollectNames(args[0], names);  // label_values(label) names no metric
        i = end;
      } else if (!call && !IsPromQlWord(word)) {
        names.insert(std::string(word));
      }
    } else {
      ++i;
    }
  }
}

void CollectDashboardExprs(const nlohmann::json& node, std::vector<std::string>& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "expr" && value.is_string()) {
        out.push_back(value.get<std::string>());
      } else {
        CollectDashboardExprs(value, out);
      }
    }
  } else if (node.is_array()) {
    for (const auto& element : node) CollectDashboardExprs(element, out);
  }
}

}  // namespace

absl::StatusOr<MetricsContract> ParseMetricsContract(absl::string_view markdown) {
  MetricsContract contract;
  std::string section;
  for (absl::string_view line : absl::StrSplit(markdown, '\n')) {
    if (absl::StartsWith(line, "## ")) {
      section = std::string(absl::StripAsciiWhitespace(line.substr(3)));
      continue;
    }
    if (section.empty()) continue;
    if (absl::StrContains(section, kOutsideHeading)) {
      for (const std::string& token : BacktickedTokens(line)) {
        if (IsMetricName(token)) contract.external.insert(token);
      }
    } else if (absl::StartsWith(line, "| `")) {
      std::vector<std::string> tokens = BacktickedTokens(line);
      if (!tokens.empty() && IsMetricName(tokens[0])) contract.by_binary[section].insert(tokens[0]);
    }
  }
  if (contract.by_binary["schedule-service"].empty()) {
    return absl::InvalidArgumentError("metrics contract: no metrics under '## schedule-service'");
  }
  if (contract.external.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics contract: no names under '## ", kOutsideHeading, "'"));
  }
  for (const std::string& name : contract.external) {
    for (absl::string_view prefix : kOwnPrefixes) {
      if (absl::StartsWith(name, prefix)) {
        return absl::InvalidArgumentError(
            absl::StrCat("metrics contract: '", name, "' under '## ", kOutsideHeading, "' has our own prefix ",
                         prefix, ": list it in the table of the binary that exports it"));
      }
    }
    for (const auto& [binary, names] : contract.by_binary) {
      if (names.count(name) > 0) {
        return absl::InvalidArgumentError(absl::StrCat("metrics contract: '", name, "' is both under '## ",
                                                       kOutsideHeading, "' and in the table of ", binary));
      }
    }
  }
  return contract;
}

std::set<std::string> MetricNamesInPromQl(absl::string_view expr) {
  std::set<std::string> names;
  CollectNames(expr, names);
  return names;
}

absl::StatusOr<std::vector<std::string>> RuleFileExpressions(const std::string& yaml_text) {
  std::vector<std::string> out;
  try {
    YAML::Node root = YAML::Load(yaml_text);
    YAML::Node groups = root["groups"];
    if (!groups || !groups.IsSequence()) {
      return absl::InvalidArgumentError("rule file: no 'groups' list");
    }
    for (const auto& group : groups) {
      for (const auto& rule : group["rules"]) {
        if (rule["expr"]) out.push_back(rule["expr"].as<std::string>());
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("rule file: ", e.what()));
  }
  if (out.empty()) return absl::InvalidArgumentError("rule file: no rules with an expr");
  return out;
}

absl::StatusOr<std::vector<std::string>> DashboardExpressions(const std::string& json_text) {
  nlohmann::json dashboard = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (dashboard.is_discarded()) return absl::InvalidArgumentError("dashboard: not valid JSON");
  std::vector<std::string> out;
  if (dashboard.contains("panels")) CollectDashboardExprs(dashboard["panels"], out);
  if (dashboard.contains("templating") && dashboard["templating"].contains("list")) {
    for (const auto& variable : dashboard["templating"]["list"]) {
      if (variable.value("type", "") != "query" || !variable.contains("query")) continue;
      const auto& query = variable["query"];
      if (query.is_string()) {
        out.push_back(query.get<std::string>());
      } else if (query.is_object() && query.contains("query") && query["query"].is_string()) {
        out.push_back(query["query"].get<std::string>());
      }
    }
  }
  return out;
}

Exposition ParseExposition(absl::string_view text) {
  Exposition exposition;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (absl::ConsumePrefix(&line, "# TYPE ")) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (parts.size() >= 2) exposition.family_types[parts[0]] = parts[1];
      continue;
    }
    if (line[0] == '#') continue;
    std::size_t end = 0;
    while (end < line.size() && IsIdentChar(line[end])) ++end;
    if (end > 0) exposition.sample_names.insert(std::string(line.substr(0, end)));
  }
  return exposition;
}

bool IsExported(const std::string& name, const Exposition& exposition) {
  if (exposition.sample_names.count(name) > 0 || exposition.family_types.count(name) > 0) return true;
  for (absl::string_view suffix : {"_bucket", "_sum", "_count"}) {
    absl::string_view base = name;
    if (!absl::ConsumeSuffix(&base, suffix)) continue;
    auto it = exposition.family_types.find(std::string(base));
    if (it == exposition.family_types.end()) continue;
    if (it->second == "histogram") return true;
    if (it->second == "summary" && suffix != "_bucket") return true;
  }
  return false;
}

}  // namespace schedsvc::deploy_testing
