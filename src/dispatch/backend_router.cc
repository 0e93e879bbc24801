#include "src/dispatch/backend_router.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "src/dispatch/permanent_reason.h"

namespace schedsvc::dispatch {
namespace {

// Longest unknown backend name quoted in an error; the name comes from the message.
constexpr std::size_t kMaxQuotedNameLength = 64;

bool IsPrintableAscii(absl::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return false;
  }
  return true;
}

}  // namespace

BackendRouter::BackendRouter(const config::ServiceConfig& config, const Clock& clock,
                             absl::Duration recheck_interval)
    : routing_attribute_(config.routing_attribute), default_backend_(config.default_backend) {
  backends_.reserve(config.backends.size());
  for (const config::BackendConfig& backend : config.backends) {
    backends_.push_back(std::make_unique<Backend>(backend, clock, recheck_interval));
    by_name_[backend.name] = backends_.back().get();
  }
}

absl::StatusOr<Backend*> BackendRouter::Route(const pubsub::Message& message) const {
  auto attribute = message.attributes.find(routing_attribute_);
  const bool has_attribute = attribute != message.attributes.end();
  const absl::string_view name =
      has_attribute ? absl::string_view(attribute->second) : absl::string_view(default_backend_);
  if (name.empty()) {
    return PermanentError(PermanentReason::kUnknownBackend,
                          absl::StrCat("message has no '", routing_attribute_,
                                       "' attribute and no routing.default_backend is configured"));
  }
  auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    const bool printable = name.size() <= kMaxQuotedNameLength && IsPrintableAscii(name);
    return PermanentError(PermanentReason::kUnknownBackend,
                          absl::StrCat("no backend named '", printable ? name : "<unprintable>",
                                       "' is configured"));
  }
  return it->second;
}

}  // namespace schedsvc::dispatch
