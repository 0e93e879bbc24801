// Static checks of deploy/: every YAML and JSON file parses; each kustomization (the base and its
// overlays) renders with `kubectl kustomize`; and the rendered objects keep the invariants production
// depends on: every namespaced object is in the manifests' Namespace, the config in the ConfigMap loads
// with the service's own loader, probes and the PodMonitoring (and prometheus.io annotations) hit
// /healthz, /readyz and /metrics on the port admin.listen names, the grace period outlasts
// shutdown_grace, resources are set, the pod is locked down, autoscaling stays within 2-5, the
// NetworkPolicy admits only the metrics scraper to the admin port, and the image's user matches the pod's.
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "integration_tests/deploy_command.h"
#include "integration_tests/deploy_runtime_packages.h"
#include "src/common/duration.h"
#include "src/config/config_loader.h"
#include "testing/child_process.h"

namespace schedsvc::deploy_testing {
namespace {

namespace fs = std::filesystem;

const std::string kSourceDir = SCHEDSVC_SOURCE_DIR;
const std::string kDeployDir = kSourceDir + "/deploy";
constexpr char kCredentialDir[] = "/var/run/secrets/schedule-service/backend";
constexpr char kAdminNetworkPolicy[] = "schedule-service-admin";

struct Rendered {
  std::vector<YAML::Node> objects;

  std::vector<YAML::Node> OfKind(const std::string& kind) const {
    std::vector<YAML::Node> out;
    for (const auto& o : objects) {
      if (o["kind"] && o["kind"].as<std::string>() == kind) out.push_back(o);
    }
    return out;
  }
};

std::optional<Rendered> Render(const std::string& dir, std::string& error) {
  CommandResult r = RunCommand("kubectl kustomize " + ShellQuote(dir) + " 2>&1");
  if (r.exit_code != 0) {
    error = absl::StrCat("kubectl kustomize ", dir, " failed (", r.exit_code, "): ", r.output);
    return std::nullopt;
  }
  Rendered rendered;
  try {
    for (const YAML::Node& doc : YAML::LoadAll(r.output)) {
      if (doc.IsMap()) rendered.objects.push_back(doc);
    }
  } catch (const YAML::Exception& e) {
    error = absl::StrCat("rendered output of ", dir, " does not parse: ", e.what());
    return std::nullopt;
  }
  return rendered;
}

// Kubernetes quantities: "250m", "0.5", "512Mi", "1Gi", "100M".
double Quantity(const std::string& text) {
  static const std::vector<std::pair<std::string, double>> kSuffixes = {
      {"Ki", 1024.0}, {"Mi", 1024.0 * 1024}, {"Gi", 1024.0 * 1024 * 1024}, {"k", 1e3}, {"M", 1e6},
      {"G", 1e9},     {"m", 1e-3}};
  for (const auto& [suffix, factor] : kSuffixes) {
    if (absl::EndsWith(text, suffix)) {
      double v = 0;
      if (!absl::SimpleAtod(text.substr(0, text.size() - suffix.size()), &v)) return -1;
      return v * factor;
    }
  }
  double v = 0;
  return absl::SimpleAtod(text, &v) ? v : -1;
}

// The config.yaml of the rendered ConfigMap, loaded with schedule-service's loader. The credential
// paths are redirected to readable stand-in files (the loader insists they exist).
absl::StatusOr<config::ServiceConfig> LoadRenderedConfig(const YAML::Node& configmap,
                                                         std::string& raw_text) {
  raw_text = configmap["data"]["config.yaml"].as<std::string>();
  const std::string stand_in = ::testing::TempDir() + "/deploy-manifests-credentials";
  fs::create_directories(stand_in);
  for (const char* name : {"username", "password", "token"}) {
    std::ofstream(stand_in + "/" + name) << "stand-in\n";
  }
  const std::string redirected = absl::StrReplaceAll(raw_text, {{kCredentialDir, stand_in}});
  return config::LoadServiceConfigFromString(redirected, "ConfigMap config.yaml");
}

YAML::Node NamedPort(const YAML::Node& container, const YAML::Node& port) {
  if (port.IsScalar()) {
    int number = 0;
    if (absl::SimpleAtoi(port.as<std::string>(), &number)) return port;
    for (const auto& p : container["ports"]) {
      if (p["name"] && p["name"].as<std::string>() == port.as<std::string>()) return p["containerPort"];
    }
  }
  return YAML::Node();
}

// Kinds that live outside namespaces (the rest, custom resources included, must carry one).
bool IsClusterScoped(const std::string& kind) {
  static const std::set<std::string> kKinds = {
      "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass",
      "StorageClass", "PersistentVolume", "ClusterTriggerAuthentication", "ClusterPodMonitoring",
      "ClusterRules", "GlobalRules"};
  return kKinds.count(kind) > 0;
}

// Every namespaced object lands in the one Namespace the manifests create. Kustomize's `namespace:` in the
// base does not reach what a component or overlay adds, so this is checked per rendered overlay.
void CheckNamespaces(const Rendered& r) {
  auto namespaces = r.OfKind("Namespace");
  ASSERT_EQ(namespaces.size(), 1u);
  const std::string ns = namespaces[0]["metadata"]["name"].as<std::string>();
  for (const YAML::Node& o : r.objects) {
    const std::string kind = o["kind"].as<std::string>();
    const std::string name = absl::StrCat(kind, "/", o["metadata"]["name"].as<std::string>());
    const YAML::Node object_ns = o["metadata"]["namespace"];
    if (IsClusterScoped(kind)) {
      EXPECT_FALSE(object_ns) << name << " is cluster-scoped but names a namespace";
    } else if (!object_ns) {
      ADD_FAILURE() << name << " has no namespace: it would land in kubectl's current one";
    } else {
      EXPECT_EQ(object_ns.as<std::string>(), ns) << name;
    }
  }
}


// What the push manifests depend on in a config file, read from its YAML directly (defaults as the
// config structs state them), so the checks do not depend on the loader.
struct PushSettings {
  std::string project;
  std::string listen_host;
  int listen_port = -1;
  std::string path;
  absl::Duration ack_deadline;
  std::string audience;
  std::string admin_host;
  int admin_port = -1;
  absl::Duration shutdown_grace;
  std::vector<std::string> credential_files;  // every backend's *_file
};

bool SplitListen(const std::string& listen, std::string& host, int& port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  return absl::SimpleAtoi(listen.substr(colon + 1), &port);
}

absl::StatusOr<PushSettings> ReadPushSettings(const std::string& yaml_text) {
  PushSettings out;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
  if (!root["ingest"] || root["ingest"].as<std::string>() != "push") {
    return absl::InvalidArgumentError("the config does not say ingest: push");
  }
  const config::PushConfig push_defaults;
  const config::ServiceConfig defaults;
  const YAML::Node push = root["push"];
  out.project = root["project"].as<std::string>("");
  if (!SplitListen(push["listen"].as<std::string>(push_defaults.listen), out.listen_host, out.listen_port)) {
    return absl::InvalidArgumentError("push.listen is not host:port");
  }
  out.path = push["path"].as<std::string>(push_defaults.path);
  out.ack_deadline = push_defaults.ack_deadline;
  if (push["ack_deadline"]) {
    auto d = ParseDurationText(push["ack_deadline"].as<std::string>());
    if (!d.ok()) return d.status();
    out.ack_deadline = *d;
  }
  out.audience = push["auth"]["oidc"]["audience"].as<std::string>("");
  if (!SplitListen(root["admin"]["listen"].as<std::string>(defaults.admin_listen), out.admin_host,
                   out.admin_port)) {
    return absl::InvalidArgumentError("admin.listen is not host:port");
  }
  out.shutdown_grace = defaults.shutdown_grace;
  if (root["shutdown_grace"]) {
    auto d = ParseDurationText(root["shutdown_grace"].as<std::string>());
    if (!d.ok()) return d.status();
    out.shutdown_grace = *d;
  }
  for (const auto& backend : root["backends"]) {
    for (const auto& kind : backend.second["auth"]) {
      for (const auto& key : kind.second) {
        if (absl::EndsWith(key.first.as<std::string>(), "_file")) {
          out.credential_files.push_back(key.second.as<std::string>());
        }
      }
    }
  }
  return out;
}

// No credential in the manifests themselves: no Secret object carrying data, no environment variable
// whose name says it is a credential given as a literal value.
void ExpectNoPlaintextSecrets(const std::vector<YAML::Node>& objects, const YAML::Node& containers) {
  for (const YAML::Node& o : objects) {
    if (o["kind"] && o["kind"].as<std::string>() == "Secret") {
      EXPECT_FALSE(o["data"] || o["stringData"]) << "a Secret with its data is committed";
    }
  }
  for (const auto& c : containers) {
    for (const auto& env : c["env"]) {
      std::string name = env["name"].as<std::string>();
      absl::AsciiStrToUpper(&name);
      const bool secret_name = absl::StrContains(name, "PASSWORD") || absl::StrContains(name, "TOKEN") ||
                               absl::StrContains(name, "SECRET") || absl::StrContains(name, "KEY");
      EXPECT_FALSE(secret_name && env["value"]) << "environment variable " << name << " holds a literal credential";
    }
  }
}

void CheckRendered(const std::string& overlay, const Rendered& r, bool expect_hpa, bool expect_csi) {
  SCOPED_TRACE(overlay);
  CheckNamespaces(r);
  auto deployments = r.OfKind("Deployment");
  ASSERT_EQ(deployments.size(), 1u);
  const YAML::Node deployment = deployments[0];
  EXPECT_EQ(deployment["spec"]["replicas"].as<int>(), 2);
  const YAML::Node pod = deployment["spec"]["template"]["spec"];
  const YAML::Node pod_labels = deployment["spec"]["template"]["metadata"]["labels"];
  ASSERT_EQ(pod["containers"].size(), 1u);
  const YAML::Node container = pod["containers"][0];

  // The config the service will load.
  auto configmaps = r.OfKind("ConfigMap");
  ASSERT_EQ(configmaps.size(), 1u);
  std::string raw_config;
  auto cfg = LoadRenderedConfig(configmaps[0], raw_config);
  ASSERT_TRUE(cfg.ok()) << "the ConfigMap's config.yaml does not load: " << cfg.status();
  const std::string configmap_name = configmaps[0]["metadata"]["name"].as<std::string>();

  // Admin port: probes and the container port follow admin.listen, which must not be loopback.
  const std::string listen = cfg->admin_listen;
  const auto colon = listen.rfind(':');
  ASSERT_NE(colon, std::string::npos);
  const std::string host = listen.substr(0, colon);
  const int admin_port = std::stoi(listen.substr(colon + 1));
  EXPECT_TRUE(host == "0.0.0.0" || host == "::" || host == "[::]" || host.empty())
      << "admin.listen " << listen << " is not reachable by the kubelet's probes";
  struct Probe {
    const char* name;
    const char* path;
  };
  for (const Probe& probe : {Probe{"livenessProbe", "/healthz"}, Probe{"readinessProbe", "/readyz"}}) {
    SCOPED_TRACE(probe.name);
    const YAML::Node http = container[probe.name]["httpGet"];
    ASSERT_TRUE(http.IsMap());
    EXPECT_EQ(http["path"].as<std::string>(), probe.path);
    const YAML::Node port = NamedPort(container, http["port"]);
    ASSERT_TRUE(port.IsScalar()) << "probe port does not name a container port";
    EXPECT_EQ(port.as<int>(), admin_port);
  }
  if (container["startupProbe"]) {
    EXPECT_EQ(NamedPort(container, container["startupProbe"]["httpGet"]["port"]).as<int>(), admin_port);
  }

  // Graceful shutdown: the kubelet waits longer than the service's own grace.
  const int grace = pod["terminationGracePeriodSeconds"].as<int>();
  EXPECT_GT(absl::Seconds(grace), cfg->shutdown_grace)
      << "terminationGracePeriodSeconds " << grace << " <= shutdown_grace";

  // Resources: set, and requests within limits.
  const YAML::Node resources = container["resources"];
  for (const char* kind : {"cpu", "memory"}) {
    ASSERT_TRUE(resources["requests"][kind]) << "no " << kind << " request";
    ASSERT_TRUE(resources["limits"][kind]) << "no " << kind << " limit";
    const double request = Quantity(resources["requests"][kind].as<std::string>());
    const double limit = Quantity(resources["limits"][kind].as<std::string>());
    EXPECT_GT(request, 0) << kind;
    EXPECT_LE(request, limit) << kind;
  }

  // Locked down: non-root, read-only root, no escalation, no capabilities.
  const YAML::Node psc = pod["securityContext"];
  const YAML::Node csc = container["securityContext"];
  EXPECT_TRUE((psc["runAsNonRoot"] && psc["runAsNonRoot"].as<bool>()) ||
              (csc["runAsNonRoot"] && csc["runAsNonRoot"].as<bool>()));
  ASSERT_TRUE(psc["runAsUser"]);
  EXPECT_GT(psc["runAsUser"].as<int>(), 0);
  EXPECT_TRUE(csc["readOnlyRootFilesystem"].as<bool>());
  EXPECT_FALSE(csc["allowPrivilegeEscalation"].as<bool>());
  std::vector<std::string> dropped;
  for (const auto& c : csc["capabilities"]["drop"]) dropped.push_back(c.as<std::string>());
  EXPECT_THAT(dropped, ::testing::Contains("ALL"));

  // Volumes: config from the generated ConfigMap at the --config path, credentials where the config
  // reads them, a writable /tmp.
  std::map<std::string, YAML::Node> volumes;
  for (const auto& v : pod["volumes"]) volumes.emplace(v["name"].as<std::string>(), YAML::Node(v));
  std::map<std::string, std::string> mounts;  // mountPath -> volume
  for (const auto& m : container["volumeMounts"]) {
    mounts[m["mountPath"].as<std::string>()] = m["name"].as<std::string>();
  }
  std::vector<std::string> args;
  for (const auto& a : container["args"]) args.push_back(a.as<std::string>());
  auto config_flag = std::find(args.begin(), args.end(), "--config");
  ASSERT_NE(config_flag, args.end());
  ASSERT_NE(config_flag + 1, args.end());
  const fs::path config_path(*(config_flag + 1));
  ASSERT_TRUE(mounts.count(config_path.parent_path().string())) << "nothing mounted at " << config_path;
  const YAML::Node config_volume = volumes[mounts[config_path.parent_path().string()]];
  EXPECT_EQ(config_volume["configMap"]["name"].as<std::string>(), configmap_name);
  EXPECT_EQ(config_path.filename().string(), "config.yaml");

  ASSERT_FALSE(cfg->backends.empty());
  for (const auto& backend : cfg->backends) {
    if (backend.auth.kind != config::AuthKind::kBasic) continue;
    for (const std::string& file : {backend.auth.username_file, backend.auth.password_file}) {
      const std::string original = absl::StrReplaceAll(
          file, {{::testing::TempDir() + "/deploy-manifests-credentials", kCredentialDir}});
      const std::string dir = fs::path(original).parent_path().string();
      ASSERT_TRUE(mounts.count(dir)) << "credential file " << original << " is not on a mounted volume";
      const YAML::Node volume = volumes[mounts[dir]];
      if (expect_csi) {
        EXPECT_EQ(volume["csi"]["driver"].as<std::string>(), "secrets-store.csi.k8s.io");
        const std::string spc = volume["csi"]["volumeAttributes"]["secretProviderClass"].as<std::string>();
        bool found = false;
        for (const auto& s : r.OfKind("SecretProviderClass")) {
          if (s["metadata"]["name"].as<std::string>() != spc) continue;
          found = true;
          const std::string secrets = s["spec"]["parameters"]["secrets"].as<std::string>();
          EXPECT_THAT(secrets, ::testing::HasSubstr("projects/" + cfg->project + "/secrets/"));
          EXPECT_THAT(secrets, ::testing::HasSubstr("\"" + fs::path(original).filename().string() + "\""));
        }
        EXPECT_TRUE(found) << "no SecretProviderClass " << spc;
      } else {
        EXPECT_TRUE(volume["secret"]["secretName"]) << "credentials are not from a Secret";
        EXPECT_FALSE(volume["csi"]);
        EXPECT_TRUE(r.OfKind("SecretProviderClass").empty());
      }
    }
  }
  ASSERT_TRUE(mounts.count("/tmp")) << "/tmp must be writable with a read-only root filesystem";
  EXPECT_TRUE(volumes[mounts["/tmp"]]["emptyDir"]);

  // Identity: Workload Identity annotation for the config's project.
  auto accounts = r.OfKind("ServiceAccount");
  ASSERT_EQ(accounts.size(), 1u);
  EXPECT_EQ(pod["serviceAccountName"].as<std::string>(),
            accounts[0]["metadata"]["name"].as<std::string>());
  const YAML::Node wi = accounts[0]["metadata"]["annotations"]["iam.gke.io/gcp-service-account"];
  ASSERT_TRUE(wi) << "ServiceAccount lacks the Workload Identity annotation";
  EXPECT_TRUE(absl::EndsWith(wi.as<std::string>(), "@" + cfg->project + ".iam.gserviceaccount.com"));

  // Disruptions and scaling.
  auto pdbs = r.OfKind("PodDisruptionBudget");
  ASSERT_EQ(pdbs.size(), 1u);
  for (const auto& kv : pdbs[0]["spec"]["selector"]["matchLabels"]) {
    EXPECT_EQ(pod_labels[kv.first.as<std::string>()].as<std::string>(), kv.second.as<std::string>());
  }
  auto hpas = r.OfKind("HorizontalPodAutoscaler");
  auto scaled = r.OfKind("ScaledObject");
  if (expect_hpa) {
    ASSERT_EQ(hpas.size(), 1u);
    EXPECT_TRUE(scaled.empty());
    const YAML::Node spec = hpas[0]["spec"];
    EXPECT_EQ(spec["minReplicas"].as<int>(), 2);
    EXPECT_EQ(spec["maxReplicas"].as<int>(), 5);
    EXPECT_EQ(spec["scaleTargetRef"]["name"].as<std::string>(),
              deployment["metadata"]["name"].as<std::string>());
    EXPECT_EQ(spec["metrics"][0]["resource"]["name"].as<std::string>(), "cpu");
    EXPECT_EQ(spec["metrics"][0]["resource"]["target"]["averageUtilization"].as<int>(), 70);
  } else {
    EXPECT_TRUE(hpas.empty()) << "an HPA next to the KEDA ScaledObject would fight it";
    ASSERT_EQ(scaled.size(), 1u);
    const YAML::Node spec = scaled[0]["spec"];
    EXPECT_EQ(spec["minReplicaCount"].as<int>(), 2);
    EXPECT_EQ(spec["maxReplicaCount"].as<int>(), 5);
    EXPECT_EQ(spec["scaleTargetRef"]["name"].as<std::string>(),
              deployment["metadata"]["name"].as<std::string>());
    bool pubsub_trigger = false;
    for (const auto& t : spec["triggers"]) {
      if (t["type"].as<std::string>() != "gcp-pubsub") continue;
      pubsub_trigger = true;
      EXPECT_TRUE(absl::EndsWith(cfg->subscription,
                                 "/subscriptions/" + t["metadata"]["subscriptionName"].as<std::string>()))
          << "KEDA watches a different subscription than the service pulls";
    }
    EXPECT_TRUE(pubsub_trigger);
  }

  // The metrics Service (headless; the push overlay adds a second one) selects the pods and targets the
  // admin port.
  std::vector<YAML::Node> services;
  for (const YAML::Node& service : r.OfKind("Service")) {
    if (service["spec"]["clusterIP"] && service["spec"]["clusterIP"].as<std::string>() == "None") {
      services.push_back(service);
    }
  }
  ASSERT_EQ(services.size(), 1u);
  for (const auto& kv : services[0]["spec"]["selector"]) {
    EXPECT_EQ(pod_labels[kv.first.as<std::string>()].as<std::string>(), kv.second.as<std::string>());
  }
  EXPECT_EQ(NamedPort(container, services[0]["spec"]["ports"][0]["targetPort"]).as<int>(), admin_port);

  // Managed Prometheus scrapes only through the PodMonitoring: it must select these pods and read
  // /metrics on the admin port, keeping the `pod` label the rules group by.
  auto monitors = r.OfKind("PodMonitoring");
  ASSERT_EQ(monitors.size(), 1u);
  EXPECT_EQ(monitors[0]["apiVersion"].as<std::string>(), "monitoring.googleapis.com/v1");
  const YAML::Node match = monitors[0]["spec"]["selector"]["matchLabels"];
  ASSERT_TRUE(match.IsMap() && match.size() > 0) << "the PodMonitoring selects no labels";
  for (const auto& kv : match) {
    const std::string key = kv.first.as<std::string>();
    ASSERT_TRUE(pod_labels[key]) << "PodMonitoring selects on " << key << ", which the pods lack";
    EXPECT_EQ(pod_labels[key].as<std::string>(), kv.second.as<std::string>()) << key;
  }
  const YAML::Node endpoints = monitors[0]["spec"]["endpoints"];
  ASSERT_TRUE(endpoints.IsSequence() && endpoints.size() > 0) << "the PodMonitoring has no endpoints";
  for (const auto& endpoint : endpoints) {
    const YAML::Node port = NamedPort(container, endpoint["port"]);
    ASSERT_TRUE(port.IsScalar()) << "PodMonitoring port does not name a container port";
    EXPECT_EQ(port.as<int>(), admin_port);
    ASSERT_TRUE(endpoint["path"]);
    EXPECT_EQ(endpoint["path"].as<std::string>(), "/metrics");
  }
  std::vector<std::string> target_labels;
  for (const auto& label : monitors[0]["spec"]["targetLabels"]["metadata"]) {
    target_labels.push_back(label.as<std::string>());
  }
  EXPECT_THAT(target_labels, ::testing::Contains("pod"));

  // The NetworkPolicy selects these pods and admits only Managed Prometheus' collectors (the gmp-system
  // namespace) to the admin port. The kubelet's probes come from the pod's own node, which network policy
  // always admits: no rule for them, and no ipBlock (it would admit hostNetwork pods and other nodes).
  // (The push overlay's second policy, for the load balancer, is checked by CheckGkePush.)
  std::vector<YAML::Node> policies;
  for (const YAML::Node& p : r.OfKind("NetworkPolicy")) {
    if (p["metadata"]["name"].as<std::string>() == kAdminNetworkPolicy) policies.push_back(p);
  }
  ASSERT_EQ(policies.size(), 1u);
  const YAML::Node policy = policies[0]["spec"];
  const YAML::Node policy_match = policy["podSelector"]["matchLabels"];
  ASSERT_TRUE(policy_match.IsMap() && policy_match.size() > 0) << "the NetworkPolicy selects every pod";
  for (const auto& kv : policy_match) {
    const std::string key = kv.first.as<std::string>();
    ASSERT_TRUE(pod_labels[key]) << "NetworkPolicy selects on " << key << ", which the pods lack";
    EXPECT_EQ(pod_labels[key].as<std::string>(), kv.second.as<std::string>()) << key;
  }
  std::vector<std::string> policy_types;
  for (const auto& t : policy["policyTypes"]) policy_types.push_back(t.as<std::string>());
  EXPECT_THAT(policy_types, ::testing::Contains("Ingress"));
  const YAML::Node rules = policy["ingress"];
  ASSERT_TRUE(rules.IsSequence() && rules.size() > 0) << "the NetworkPolicy admits nothing, not even the scraper";
  bool admits_scraper = false;
  for (const auto& rule : rules) {
    ASSERT_TRUE(rule["from"].IsSequence() && rule["from"].size() > 0) << "an ingress rule admits every source";
    ASSERT_TRUE(rule["ports"].IsSequence() && rule["ports"].size() > 0) << "an ingress rule admits every port";
    for (const auto& port : rule["ports"]) {
      const YAML::Node number = NamedPort(container, port["port"]);
      ASSERT_TRUE(number.IsScalar()) << "NetworkPolicy port does not name a container port";
      EXPECT_EQ(number.as<int>(), admin_port);
      EXPECT_EQ(port["protocol"].as<std::string>("TCP"), "TCP");
    }
    for (const auto& peer : rule["from"]) {
      EXPECT_FALSE(peer["ipBlock"]) << "an ipBlock admits nodes and hostNetwork pods";
      // A podSelector here would get this app's labels from kustomize and match no collector.
      EXPECT_FALSE(peer["podSelector"]) << "peers are chosen by namespace only";
      const YAML::Node ns = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"];
      ASSERT_TRUE(ns.IsScalar()) << "a peer without a namespace name";
      EXPECT_EQ(ns.as<std::string>(), "gmp-system");
      admits_scraper = true;
    }
  }
  EXPECT_TRUE(admits_scraper) << "Managed Prometheus (gmp-system) cannot scrape the admin port";

  // The prometheus.io annotations (for a self-managed Prometheus) name the same port and path.
  for (const YAML::Node& annotations :
       {deployment["spec"]["template"]["metadata"]["annotations"], services[0]["metadata"]["annotations"]}) {
    if (!annotations["prometheus.io/scrape"]) continue;
    ASSERT_TRUE(annotations["prometheus.io/port"]);
    EXPECT_EQ(annotations["prometheus.io/port"].as<int>(), admin_port);
    ASSERT_TRUE(annotations["prometheus.io/path"]);
    EXPECT_EQ(annotations["prometheus.io/path"].as<std::string>(), "/metrics");
  }
}

TEST(DeployManifestsTest, EveryYamlAndJsonFileParses) {
  int yaml_files = 0;
  int json_files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kDeployDir)) {
    if (!entry.is_regular_file()) continue;
    const std::string path = entry.path().string();
    const std::string ext = entry.path().extension().string();
    if (ext == ".yaml" || ext == ".yml") {
      ++yaml_files;
      try {
        EXPECT_FALSE(YAML::LoadAllFromFile(path).empty()) << path << " is empty";
      } catch (const YAML::Exception& e) {
        ADD_FAILURE() << path << ": " << e.what();
      }
    } else if (ext == ".json") {
      ++json_files;
      EXPECT_FALSE(nlohmann::json::parse(testing::ReadFileOrEmpty(path), nullptr, false).is_discarded())
          << path << " is not valid JSON";
    }
  }
  EXPECT_GE(yaml_files, 15);
  EXPECT_GE(json_files, 4);
}

TEST(DeployManifestsTest, BaseRendersWithSecretManagerAndCpuAutoscaling) {
  std::string error;
  auto rendered = Render(kDeployDir + "/k8s/base", error);
  ASSERT_TRUE(rendered.has_value()) << error;
  CheckRendered("base", *rendered, /*expect_hpa=*/true, /*expect_csi=*/true);
}

TEST(DeployManifestsTest, PlainSecretOverlayReplacesTheCsiVolume) {
  std::string error;
  auto rendered = Render(kDeployDir + "/k8s/overlays/plain-secret", error);
  ASSERT_TRUE(rendered.has_value()) << error;
  CheckRendered("plain-secret", *rendered, /*expect_hpa=*/true, /*expect_csi=*/false);
}

TEST(DeployManifestsTest, KedaOverlayScalesOnTheSubscriptionBacklog) {
  std::string error;
  auto rendered = Render(kDeployDir + "/k8s/overlays/keda", error);
  ASSERT_TRUE(rendered.has_value()) << error;
  CheckRendered("keda", *rendered, /*expect_hpa=*/false, /*expect_csi=*/true);
}

// The GKE push overlay: the load balancer reaches the push port on push.path only, over HTTPS, with its
// health check on /readyz on the admin port and a timeout past push.ack_deadline; only Google's load
// balancer ranges are admitted to the pods besides the base's scraper.
TEST(DeployManifestsTest, GkePushOverlayRoutesPushPathOverHttpsToThePushPort) {
  std::string error;
  auto rendered = Render(kDeployDir + "/k8s/overlays/push", error);
  ASSERT_TRUE(rendered.has_value()) << error;
  const Rendered& r = *rendered;
  CheckNamespaces(r);
  auto configmaps = r.OfKind("ConfigMap");
  ASSERT_EQ(configmaps.size(), 1u);
  auto push = ReadPushSettings(configmaps[0]["data"]["config.yaml"].as<std::string>());
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(push->path, config::PushConfig().path) << "the manifests assume the default push.path";
  EXPECT_EQ(push->listen_host, "0.0.0.0") << "the load balancer reaches the pod IP";

  auto deployments = r.OfKind("Deployment");
  ASSERT_EQ(deployments.size(), 1u);
  const YAML::Node pod = deployments[0]["spec"]["template"]["spec"];
  const YAML::Node pod_labels = deployments[0]["spec"]["template"]["metadata"]["labels"];
  const YAML::Node container = pod["containers"][0];
  const YAML::Node push_port = NamedPort(container, YAML::Node(std::string("push")));
  ASSERT_TRUE(push_port.IsScalar()) << "the container has no port named push";
  EXPECT_EQ(push_port.as<int>(), push->listen_port);
  ExpectNoPlaintextSecrets(r.objects, pod["containers"]);

  // The Service the Ingress routes to.
  YAML::Node service;
  for (const YAML::Node& s : r.OfKind("Service")) {
    if (s["metadata"]["name"].as<std::string>() == "schedule-service-push") service = s;
  }
  ASSERT_TRUE(service.IsMap()) << "no Service schedule-service-push";
  for (const auto& kv : service["spec"]["selector"]) {
    EXPECT_EQ(pod_labels[kv.first.as<std::string>()].as<std::string>(), kv.second.as<std::string>());
  }
  ASSERT_EQ(service["spec"]["ports"].size(), 1u) << "only the push port is exposed to the load balancer";
  EXPECT_EQ(NamedPort(container, service["spec"]["ports"][0]["targetPort"]).as<int>(), push->listen_port);
  const YAML::Node annotations = service["metadata"]["annotations"];
  EXPECT_THAT(annotations["cloud.google.com/neg"].as<std::string>(""), ::testing::HasSubstr("\"ingress\": true"));
  auto backend_config_ref =
      nlohmann::json::parse(annotations["cloud.google.com/backend-config"].as<std::string>("{}"), nullptr, false);
  ASSERT_TRUE(backend_config_ref.contains("default"));

  // The BackendConfig: health check, timeout, draining.
  auto backend_configs = r.OfKind("BackendConfig");
  ASSERT_EQ(backend_configs.size(), 1u);
  const YAML::Node bc = backend_configs[0];
  EXPECT_EQ(bc["metadata"]["name"].as<std::string>(), backend_config_ref["default"].get<std::string>());
  EXPECT_EQ(bc["spec"]["healthCheck"]["type"].as<std::string>(), "HTTP");
  EXPECT_EQ(bc["spec"]["healthCheck"]["requestPath"].as<std::string>(), "/readyz");
  EXPECT_EQ(bc["spec"]["healthCheck"]["port"].as<int>(), push->admin_port);
  EXPECT_GE(absl::Seconds(bc["spec"]["timeoutSec"].as<int>()), push->ack_deadline)
      << "the load balancer would cut a delivery before push.ack_deadline";
  EXPECT_LT(absl::Seconds(bc["spec"]["connectionDraining"]["drainingTimeoutSec"].as<int>()),
            absl::Seconds(pod["terminationGracePeriodSeconds"].as<int>()));

  // The Ingress: HTTPS only, the one path, to the push Service.
  auto ingresses = r.OfKind("Ingress");
  ASSERT_EQ(ingresses.size(), 1u);
  const YAML::Node ingress = ingresses[0];
  EXPECT_EQ(ingress["metadata"]["annotations"]["kubernetes.io/ingress.allow-http"].as<std::string>(""), "false");
  const std::string certificate =
      ingress["metadata"]["annotations"]["networking.gke.io/managed-certificates"].as<std::string>("");
  std::set<std::string> domains;
  for (const YAML::Node& c : r.OfKind("ManagedCertificate")) {
    if (c["metadata"]["name"].as<std::string>() != certificate) continue;
    for (const auto& d : c["spec"]["domains"]) domains.insert(d.as<std::string>());
  }
  ASSERT_FALSE(domains.empty()) << "no ManagedCertificate " << certificate;
  EXPECT_FALSE(ingress["spec"]["defaultBackend"]) << "every other path must end at the load balancer";
  int paths = 0;
  for (const auto& rule : ingress["spec"]["rules"]) {
    const std::string host = rule["host"].as<std::string>("");
    EXPECT_TRUE(domains.count(host)) << host << " has no managed certificate";
    EXPECT_EQ(push->audience, absl::StrCat("https://", host, push->path)) << "the OIDC audience is the endpoint";
    for (const auto& path : rule["http"]["paths"]) {
      ++paths;
      EXPECT_EQ(path["path"].as<std::string>(), push->path);
      EXPECT_EQ(path["pathType"].as<std::string>(), "Exact");
      EXPECT_EQ(path["backend"]["service"]["name"].as<std::string>(), "schedule-service-push");
      const YAML::Node port = path["backend"]["service"]["port"];
      EXPECT_TRUE(port["name"].as<std::string>("") == "push" ||
                  port["number"].as<int>(-1) == service["spec"]["ports"][0]["port"].as<int>());
    }
  }
  EXPECT_EQ(paths, 1);

  // The load balancer's NetworkPolicy: Google's proxy and health-check ranges, push and admin ports.
  YAML::Node policy;
  for (const YAML::Node& p : r.OfKind("NetworkPolicy")) {
    if (p["metadata"]["name"].as<std::string>() == "schedule-service-push") policy = p;
  }
  ASSERT_TRUE(policy.IsMap()) << "no NetworkPolicy schedule-service-push";
  std::set<std::string> cidrs;
  std::set<int> ports;
  for (const auto& rule : policy["spec"]["ingress"]) {
    for (const auto& peer : rule["from"]) {
      EXPECT_FALSE(peer["podSelector"] || peer["namespaceSelector"]) << "only the load balancer's ranges";
      cidrs.insert(peer["ipBlock"]["cidr"].as<std::string>());
    }
    for (const auto& port : rule["ports"]) ports.insert(NamedPort(container, port["port"]).as<int>());
  }
  EXPECT_EQ(cidrs, (std::set<std::string>{"130.211.0.0/22", "35.191.0.0/16"}));
  EXPECT_EQ(ports, (std::set<int>{push->listen_port, push->admin_port}));
}

// The base's invariants (probes, grace, lock-down, identity, scaling, metrics) hold for the push overlay;
// its ConfigMap loads with the service's loader (which must know the push keys).
TEST(DeployManifestsTest, GkePushOverlayKeepsTheBaseInvariants) {
  std::string error;
  auto rendered = Render(kDeployDir + "/k8s/overlays/push", error);
  ASSERT_TRUE(rendered.has_value()) << error;
  CheckRendered("push", *rendered, /*expect_hpa=*/true, /*expect_csi=*/true);
}

// Cloud Run (Knative serving.knative.dev/v1): the container port is push.listen's, probes ask the admin
// port, the request timeout reaches past push.ack_deadline, shutdown_grace fits Cloud Run's 10 s, the
// config and each credential file come from Secret Manager volumes.
TEST(DeployManifestsTest, CloudRunServiceServesThePushPortWithProbesOnTheAdminPort) {
  const std::string dir = kDeployDir + "/cloudrun";
  YAML::Node service;
  try {
    service = YAML::LoadFile(dir + "/service.yaml");
  } catch (const YAML::Exception& e) {
    FAIL() << e.what();
  }
  auto push = ReadPushSettings(testing::ReadFileOrEmpty(dir + "/config.yaml"));
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(service["apiVersion"].as<std::string>(), "serving.knative.dev/v1");
  EXPECT_EQ(service["kind"].as<std::string>(), "Service");
  EXPECT_EQ(push->path, config::PushConfig().path);
  constexpr int kCloudRunPort = 8080;
  const absl::Duration kCloudRunSigkillAfter = absl::Seconds(10);

  const YAML::Node spec = service["spec"]["template"]["spec"];
  ASSERT_EQ(spec["containers"].size(), 1u);
  const YAML::Node container = spec["containers"][0];
  ASSERT_EQ(container["ports"].size(), 1u);
  EXPECT_EQ(container["ports"][0]["containerPort"].as<int>(), kCloudRunPort);
  EXPECT_EQ(push->listen_port, kCloudRunPort) << "push.listen must be the port Cloud Run sends requests to";
  EXPECT_EQ(push->listen_host, "0.0.0.0");
  EXPECT_EQ(push->admin_host, "0.0.0.0") << "the probes reach the container's address";
  ASSERT_TRUE(container["startupProbe"] && container["livenessProbe"]);
  for (const char* probe : {"startupProbe", "livenessProbe", "readinessProbe"}) {
    if (!container[probe]) continue;
    SCOPED_TRACE(probe);
    const YAML::Node http = container[probe]["httpGet"];
    EXPECT_EQ(http["port"].as<int>(), push->admin_port);
    EXPECT_EQ(http["path"].as<std::string>(), std::string(probe) == "readinessProbe" ? "/readyz" : "/healthz");
  }
  EXPECT_GE(absl::Seconds(spec["timeoutSeconds"].as<int>()), push->ack_deadline);
  EXPECT_LT(push->shutdown_grace, kCloudRunSigkillAfter);
  EXPECT_TRUE(absl::EndsWith(spec["serviceAccountName"].as<std::string>(""),
                             absl::StrCat("@", push->project, ".iam.gserviceaccount.com")));
  const std::string ingress = service["metadata"]["annotations"]["run.googleapis.com/ingress"].as<std::string>("");
  EXPECT_TRUE(ingress == "internal" || ingress == "all" || ingress == "internal-and-cloud-load-balancing") << ingress;
  ExpectNoPlaintextSecrets({service}, spec["containers"]);

  // Files: the config at --config and every credential file lie on Secret Manager volumes.
  std::map<std::string, YAML::Node> volumes;
  for (const auto& v : spec["volumes"]) volumes.emplace(v["name"].as<std::string>(), YAML::Node(v));
  std::map<std::string, std::string> mounts;
  for (const auto& m : container["volumeMounts"]) mounts[m["mountPath"].as<std::string>()] = m["name"].as<std::string>();
  std::vector<std::string> args;
  for (const auto& a : container["args"]) args.push_back(a.as<std::string>());
  auto config_flag = std::find(args.begin(), args.end(), "--config");
  ASSERT_NE(config_flag, args.end());
  ASSERT_NE(config_flag + 1, args.end());
  std::vector<std::string> files = push->credential_files;
  files.push_back(*(config_flag + 1));
  ASSERT_GE(files.size(), 2u) << "the config names no credential file";
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    const fs::path path(file);
    ASSERT_TRUE(mounts.count(path.parent_path().string())) << "nothing mounted at " << path.parent_path();
    const YAML::Node volume = volumes[mounts[path.parent_path().string()]];
    ASSERT_TRUE(volume["secret"]) << "not a Secret Manager volume";
    bool item = false;
    for (const auto& i : volume["secret"]["items"]) {
      item = item || i["path"].as<std::string>() == path.filename().string();
    }
    EXPECT_TRUE(item) << "the volume has no item " << path.filename();
  }
}

TEST(DeployManifestsTest, ImageRunsAsTheNumericNonRootUserThePodExpects) {
  const std::string dockerfile = testing::ReadFileOrEmpty(kDeployDir + "/Dockerfile");
  ASSERT_FALSE(dockerfile.empty());
  // The last USER instruction of the file (the runtime stage is the last stage).
  std::string user;
  for (absl::string_view line : absl::StrSplit(dockerfile, '\n')) {
    if (absl::StartsWith(line, "USER ")) user = std::string(line.substr(5));
  }
  std::vector<std::string> ids = absl::StrSplit(user, ':');
  int uid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(ids[0], &uid)) << "USER must be numeric for runAsNonRoot, got " << user;
  EXPECT_GT(uid, 0);
  std::string error;
  auto rendered = Render(kDeployDir + "/k8s/base", error);
  ASSERT_TRUE(rendered.has_value()) << error;
  const YAML::Node psc = rendered->OfKind("Deployment")[0]["spec"]["template"]["spec"]["securityContext"];
  EXPECT_EQ(psc["runAsUser"].as<int>(), uid);
  auto runtime = StagePackages(dockerfile, "runtime");
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  EXPECT_THAT(*runtime, ::testing::IsSupersetOf({"tzdata", "ca-certificates"}));
}

TEST(DeployScriptsTest, EveryGcpScriptIsStrictAndParses) {
  int scripts = 0;
  for (const auto& entry : fs::directory_iterator(kDeployDir + "/gcp")) {
    if (entry.path().extension() != ".sh") continue;
    ++scripts;
    const std::string path = entry.path().string();
    const std::string text = testing::ReadFileOrEmpty(path);
    if (entry.path().filename() != "lib.sh") {
      EXPECT_THAT(text, ::testing::HasSubstr("set -euo pipefail")) << path;
    }
    CommandResult syntax = RunCommand("bash -n " + ShellQuote(path));
    EXPECT_EQ(syntax.exit_code, 0) << path << ": " << syntax.output;
  }
  EXPECT_GE(scripts, 7);
}

TEST(DeployScriptsTest, ScriptsRefuseToRunWithoutAProject) {
  CommandResult r = RunCommand("env -u PROJECT bash " + ShellQuote(kDeployDir + "/gcp/pubsub.sh"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, ::testing::HasSubstr("PROJECT"));
}

}  // namespace
}  // namespace schedsvc::deploy_testing
