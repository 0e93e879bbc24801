// PubsubEmulator: starts Google's official Pub/Sub emulator (`cloud-pubsub-emulator`, shipped with
// google-cloud-cli) on a free loopback port for one test fixture, and stops it by PID. The emulator keeps
// everything in memory, so each fixture starts from empty. Set PUBSUB_EMULATOR_BIN to override the path.
#ifndef SCHEDSVC_TESTING_PUBSUB_EMULATOR_H_
#define SCHEDSVC_TESTING_PUBSUB_EMULATOR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "testing/child_process.h"

namespace schedsvc::testing {

class PubsubEmulator {
 public:
  // Starts the emulator and waits until it answers gRPC. kUnavailable if it does not within 60 s.
  static absl::StatusOr<std::unique_ptr<PubsubEmulator>> Start();
  // As Start(), on `port` (e.g. to restart an emulator where its clients expect it).
  static absl::StatusOr<std::unique_ptr<PubsubEmulator>> Start(int port);

  // Returns the path of the emulator's start script.
  static std::string BinaryPath();

  // "127.0.0.1:PORT", the value for PUBSUB_EMULATOR_HOST.
  const std::string& host_port() const { return host_port_; }
  int port() const { return port_; }

  ~PubsubEmulator() = default;

 private:
  PubsubEmulator(ChildProcess process, int port)
      : process_(std::move(process)), port_(port), host_port_("127.0.0.1:" + std::to_string(port)) {}
  ChildProcess process_;
  int port_;
  std::string host_port_;
};

}  // namespace schedsvc::testing

#endif  // SCHEDSVC_TESTING_PUBSUB_EMULATOR_H_
