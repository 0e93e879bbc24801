// ConnectionOptions: where the Pub/Sub client connects and how.
//   endpoint set              -> that address (plaintext if `plaintext`, else TLS + Google default creds)
//   PUBSUB_EMULATOR_HOST set  -> plaintext gRPC to it, no credentials (Google's clients' convention)
//   otherwise                 -> TLS to pubsub.googleapis.com:443 with Google default credentials
//                                (Workload Identity on GKE)
#ifndef SCHEDSVC_PUBSUB_CONNECTION_OPTIONS_H_
#define SCHEDSVC_PUBSUB_CONNECTION_OPTIONS_H_

#include <memory>
#include <string>

#include "absl/time/time.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace schedsvc::pubsub {

inline constexpr char kDefaultPubsubEndpoint[] = "pubsub.googleapis.com:443";

struct ConnectionOptions {
  // Endpoint override, "host:port". Default empty (emulator variable, then the public endpoint).
  std::string endpoint;
  // With `endpoint` set: plaintext without credentials (true) or TLS with Google credentials (false).
  bool plaintext = false;
  // Deadline of each unary RPC. Default 30 s; > 0.
  absl::Duration rpc_timeout = absl::Seconds(30);
  // Number of gRPC channels (TCP connections) streams and RPCs are spread over. Default 1; >= 1.
  int channels = 1;
};

// What MakeChannel resolved ConnectionOptions to; for logs and tests.
struct ResolvedEndpoint {
  std::string address;
  bool plaintext = false;
};

// Returns the address and security the options resolve to in the current environment.
ResolvedEndpoint ResolveEndpoint(const ConnectionOptions& options);

// Returns a channel to the resolved endpoint; TLS channels send keepalive pings (30 s, 10 s timeout) so a silently
// dead connection is noticed. `index` distinguishes channels so they do not share one TCP connection.
std::shared_ptr<grpc::Channel> MakeChannel(const ConnectionOptions& options, int index = 0);

}  // namespace schedsvc::pubsub

#endif  // SCHEDSVC_PUBSUB_CONNECTION_OPTIONS_H_
