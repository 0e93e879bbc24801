#include "testing/pubsub_emulator.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/pubsub/v1/pubsub.grpc.pb.h"

namespace schedsvc::testing {
namespace {

constexpr char kDefaultSdkRoot[] = "/usr/lib/google-cloud-sdk";
constexpr char kRelativeBin[] = "/platform/pubsub-emulator/bin/cloud-pubsub-emulator";

std::string SdkRootFromGcloud() {
  FILE* pipe = ::popen("gcloud info --format='value(installation.sdk_root)' 2>/dev/null", "r");
  if (pipe == nullptr) return "";
  std::array<char, 512> buf{};
  std::string out;
  while (std::fgets(buf.data(), buf.size(), pipe) != nullptr) out += buf.data();
  ::pclose(pipe);
  return std::string(absl::StripTrailingAsciiWhitespace(out));
}

}  // namespace

std::string PubsubEmulator::BinaryPath() {
  if (const char* bin = std::getenv("PUBSUB_EMULATOR_BIN"); bin != nullptr && *bin != '\0') return bin;
  std::string fallback = absl::StrCat(kDefaultSdkRoot, kRelativeBin);
  if (::access(fallback.c_str(), X_OK) == 0) return fallback;
  return absl::StrCat(SdkRootFromGcloud(), kRelativeBin);
}

absl::StatusOr<std::unique_ptr<PubsubEmulator>> PubsubEmulator::Start() { return Start(PickFreePort()); }

absl::StatusOr<std::unique_ptr<PubsubEmulator>> PubsubEmulator::Start(int port) {
  std::string log = absl::StrCat("/tmp/schedsvc-pubsub-emulator-", port, ".log");
  auto process = ChildProcess::Start(
      {BinaryPath(), "--host=127.0.0.1", absl::StrCat("--port=", port)}, {}, log);
  if (!process.ok()) return process.status();
  std::unique_ptr<PubsubEmulator> emulator(new PubsubEmulator(*std::move(process), port));
  if (!WaitForPort(port, absl::Seconds(60))) {
    return absl::UnavailableError(absl::StrCat("Pub/Sub emulator did not listen on port ", port,
                                               "; log: ", log));
  }
  auto channel = grpc::CreateChannel(emulator->host_port(), grpc::InsecureChannelCredentials());
  auto stub = google::pubsub::v1::Publisher::NewStub(channel);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    google::pubsub::v1::ListTopicsRequest req;
    req.set_project("projects/readiness-probe");
    google::pubsub::v1::ListTopicsResponse resp;
    if (stub->ListTopics(&ctx, req, &resp).ok()) return emulator;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::UnavailableError(absl::StrCat("Pub/Sub emulator never answered; log: ", log));
}

}  // namespace schedsvc::testing
