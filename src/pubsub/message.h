// Message: one Pub/Sub message as the subscriber hands it to application code. A plain value.
#ifndef SCHEDSVC_PUBSUB_MESSAGE_H_
#define SCHEDSVC_PUBSUB_MESSAGE_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/time/time.h"

namespace schedsvc::pubsub {

struct Message {
  std::string message_id;
  std::string data;
  std::map<std::string, std::string> attributes;
  std::string ordering_key;
  absl::Time publish_time = absl::InfinitePast();
  // Pub/Sub's delivery attempt counter; 0 when the server does not send one (it does only when the
  // subscription has a dead-letter policy).
  int delivery_attempt = 0;
  // When this process received the message, as a reading of the subscriber's monotonic clock
  // (SteadyClock, src/common/clock.h): close to wall time but not wall time. Use it for ages and budgets
  // measured with a SteadyClock, never against wall-clock readings.
  absl::Time receive_time = absl::InfinitePast();
};

}  // namespace schedsvc::pubsub

#endif  // SCHEDSVC_PUBSUB_MESSAGE_H_
