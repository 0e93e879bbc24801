#include "src/console/upstream_proxy.h"
#include "src/common/json_text.h"

#include <httplib.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace schedsvc::console {

std::string ErrorJson(const std::string& message) {
  return JsonText(nlohmann::json{{"error", message}});
}

UpstreamProxy::UpstreamProxy(std::string name, UpstreamAddress address, absl::Duration timeout)
    : name_(std::move(name)), address_(std::move(address)), timeout_(timeout) {}

std::string UpstreamProxy::Authority() const { return absl::StrCat(address_.host, ":", address_.port); }

ProxyResponse UpstreamProxy::Forward(const ProxyRequest& request) const {
  if (address_.port <= 0) {
    return {kBadGateway, ErrorJson(absl::StrCat(name_, " is not running with this console")), "application/json"};
  }
  httplib::Client client(address_.host, address_.port);
  const auto timeout = absl::ToChronoMicroseconds(timeout_);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const auto micros = timeout - seconds;
  client.set_connection_timeout(seconds.count(), micros.count());
  client.set_read_timeout(seconds.count(), micros.count());
  client.set_write_timeout(seconds.count(), micros.count());
  // The target is forwarded as received (already percent-encoded and checked).
  client.set_url_encode(false);

  httplib::Request upstream;
  upstream.method = request.method;
  upstream.path = request.target;
  if (!request.body.empty() || request.method == "POST" || request.method == "PATCH") {
    upstream.body = request.body;
    upstream.set_header("Content-Type", request.content_type.empty() ? "application/json" : request.content_type);
  }
  httplib::Result result = client.send(upstream);
  if (!result) {
    return {kBadGateway,
            ErrorJson(absl::StrCat(name_, " at ", Authority(), ": ", httplib::to_string(result.error()))),
            "application/json"};
  }
  return {result->status, result->body, result->get_header_value("Content-Type")};
}

}  // namespace schedsvc::console
