#include "src/console/health_probe.h"

#include <httplib.h>

#include <chrono>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "src/cli/local_process.h"

namespace schedsvc::console {
namespace {

constexpr int kOk = 200;
constexpr absl::string_view kNotReadyPrefix = "not ready:";

void SetTimeouts(httplib::Client& client, absl::Duration timeout) {
  const auto total = absl::ToChronoMicroseconds(timeout);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(total);
  const auto micros = total - seconds;
  client.set_connection_timeout(seconds.count(), micros.count());
  client.set_read_timeout(seconds.count(), micros.count());
  client.set_write_timeout(seconds.count(), micros.count());
}

}  // namespace

ComponentHealth ReadinessFromReadyz(int status, const std::string& body) {
  ComponentHealth out;
  out.ready = status == kOk;
  if (status == kOk) return out;
  absl::string_view reason = absl::StripAsciiWhitespace(body);
  if (absl::ConsumePrefix(&reason, kNotReadyPrefix)) reason = absl::StripAsciiWhitespace(reason);
  else if (reason == "not ready") reason = "";
  out.detail = reason.empty() ? absl::StrCat("HTTP ", status) : std::string(reason);
  return out;
}

nlohmann::json HealthJson(const std::vector<ComponentHealth>& components) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : components) {
    nlohmann::json item = {{"name", c.name}, {"address", c.address}, {"up", c.up}};
    if (c.ready.has_value()) item["ready"] = *c.ready;
    item["detail"] = c.detail;
    list.push_back(std::move(item));
  }
  return {{"components", std::move(list)}};
}

HealthProbe::HealthProbe(std::vector<ProbeTarget> targets, absl::Duration timeout)
    : targets_(std::move(targets)), timeout_(timeout) {}

std::vector<ComponentHealth> HealthProbe::Probe() const {
  std::vector<ComponentHealth> out;
  for (const auto& target : targets_) {
    if (target.address.port > 0) out.push_back(ProbeOne(target));
  }
  return out;
}

ComponentHealth HealthProbe::ProbeOne(const ProbeTarget& target) const {
  ComponentHealth health;
  health.name = target.name;
  health.address = absl::StrCat(target.address.host, ":", target.address.port);
  if (target.kind == ProbeKind::kTcpConnect) {
    // A single connect attempt: the wait ends at the first failure.
    health.up = cli::WaitForLoopbackPort(target.address.port, absl::Milliseconds(1));
    if (!health.up) health.detail = "no connection";
    return health;
  }
  httplib::Client client(target.address.host, target.address.port);
  SetTimeouts(client, timeout_);
  const std::string path = target.kind == ProbeKind::kService ? "/healthz" : target.path;
  httplib::Result answer = client.Get(path);
  if (!answer) {
    health.detail = httplib::to_string(answer.error());
    return health;
  }
  if (target.kind == ProbeKind::kHttpGet) {
    health.up = true;
    return health;
  }
  health.up = answer->status == kOk;
  if (!health.up) {
    health.detail = absl::StrCat("/healthz: HTTP ", answer->status);
    return health;
  }
  httplib::Result readyz = client.Get("/readyz");
  if (!readyz) {
    health.ready = false;
    health.detail = absl::StrCat("/readyz: ", httplib::to_string(readyz.error()));
    return health;
  }
  const ComponentHealth readiness = ReadinessFromReadyz(readyz->status, readyz->body);
  health.ready = readiness.ready;
  health.detail = readiness.detail;
  return health;
}

}  // namespace schedsvc::console
