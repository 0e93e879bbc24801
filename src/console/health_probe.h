// HealthProbe: what GET /api/health answers. Asks each component of the local pipeline whether it is up,
// over loopback with a short timeout: the Pub/Sub emulator by a TCP connect (it speaks gRPC), the scheduler
// emulator and the demo backend by one HTTP GET (any HTTP answer is "up"), schedule-service by /healthz
// (up) and /readyz (ready, and the reason when not). A component with port 0 is not probed (left out).
// Stateless apart from its targets; thread-safe.
#ifndef SCHEDSVC_CONSOLE_HEALTH_PROBE_H_
#define SCHEDSVC_CONSOLE_HEALTH_PROBE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "src/console/upstream_proxy.h"

namespace schedsvc::console {

struct ComponentHealth {
  std::string name;
  std::string address;       // "host:port"
  bool up = false;
  std::optional<bool> ready;  // schedule-service only: what /readyz says
  std::string detail;         // why not up / not ready; empty when all is well
};

// How a component is asked.
enum class ProbeKind {
  kTcpConnect,  // a TCP connect succeeds
  kHttpGet,     // GET `path` gets any HTTP answer
  kService,     // GET /healthz answers 200 (up), GET /readyz 200 (ready) or 503 "not ready: <reason>"
};

struct ProbeTarget {
  std::string name;
  UpstreamAddress address;  // port 0: not probed
  ProbeKind kind = ProbeKind::kTcpConnect;
  std::string path;  // kHttpGet only
};

// Returns readiness and its reason from a /readyz answer: 200 is ready; otherwise not, with the body's
// "not ready: " prefix and surrounding whitespace removed as the reason (or "HTTP <status>" if it is empty).
ComponentHealth ReadinessFromReadyz(int status, const std::string& body);

// Returns {"components":[{"name","address","up","detail"[,"ready"]}...]} in `components`' order.
nlohmann::json HealthJson(const std::vector<ComponentHealth>& components);

class HealthProbe {
 public:
  // `timeout` bounds each connect and read (> 0).
  HealthProbe(std::vector<ProbeTarget> targets, absl::Duration timeout);

  // Probes every target with a port, one after the other; returns their health in order.
  std::vector<ComponentHealth> Probe() const;

 private:
  ComponentHealth ProbeOne(const ProbeTarget& target) const;

  const std::vector<ProbeTarget> targets_;
  const absl::Duration timeout_;
};

}  // namespace schedsvc::console

#endif  // SCHEDSVC_CONSOLE_HEALTH_PROBE_H_
