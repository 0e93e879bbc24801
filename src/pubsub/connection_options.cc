#include "src/pubsub/connection_options.h"

#include <grpcpp/grpcpp.h>

#include <cstdlib>

namespace schedsvc::pubsub {
namespace {

constexpr int kKeepaliveTimeMs = 30'000;
constexpr int kKeepaliveTimeoutMs = 10'000;
// Pub/Sub messages may be up to 10 MB; a StreamingPull response carries many.
constexpr int kMaxReceiveMessageBytes = 64 << 20;

}  // namespace

ResolvedEndpoint ResolveEndpoint(const ConnectionOptions& options) {
  if (!options.endpoint.empty()) return {options.endpoint, options.plaintext};
  if (const char* emulator = std::getenv("PUBSUB_EMULATOR_HOST"); emulator != nullptr && *emulator != '\0') {
    return {emulator, true};
  }
  return {kDefaultPubsubEndpoint, false};
}

std::shared_ptr<grpc::Channel> MakeChannel(const ConnectionOptions& options, int index) {
  ResolvedEndpoint endpoint = ResolveEndpoint(options);
  grpc::ChannelArguments args;
  if (!endpoint.plaintext) {
    // Transport keepalive notices a silently dead connection to Google. The emulator (plaintext) answers
    // frequent pings with GOAWAY "too_many_pings", which would reset every stream, so it relies on the
    // stream watchdog's heartbeats alone.
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  }
  args.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  // Distinct channel args keep channels from sharing one subchannel (TCP connection).
  args.SetInt("schedsvc.channel_index", index);
  std::shared_ptr<grpc::ChannelCredentials> creds =
      endpoint.plaintext ? grpc::InsecureChannelCredentials() : grpc::GoogleDefaultCredentials();
  return grpc::CreateCustomChannel(endpoint.address, creds, args);
}

}  // namespace schedsvc::pubsub
