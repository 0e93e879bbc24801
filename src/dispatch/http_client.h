// HttpClient: the transport seam of the dispatcher. The MessageDispatcher turns a Pub/Sub message into an
// HttpRequest (backend_request.h), hands it to an HttpClient, and classifies what comes back
// (delivery_outcome.h). Production uses CurlHttpClient (curl_http_client.h); tests use FakeHttpClient
// (testing/fake_http_client.h).
//
// Contract: Send() never blocks on the network and never throws. The callback runs exactly once. A
// transport failure (connect, TLS, timeout, shutdown) arrives as a non-OK Status mapped by
// FromCurlCode (curl_status.h); an HTTP 4xx or 5xx is a *successful* transport result carrying that status code.
#ifndef SCHEDSVC_DISPATCH_HTTP_CLIENT_H_
#define SCHEDSVC_DISPATCH_HTTP_CLIENT_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"

namespace schedsvc::dispatch {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  // "GET", "POST", "PUT", "PATCH" or "DELETE". Default POST.
  std::string method = "POST";
  // Absolute http:// or https:// URL.
  std::string url;
  // Sent in this order. Names are case-insensitive on the wire.
  HttpHeaders headers;
  std::string body;
  // Whole-attempt timeout (connect + send + wait + receive). Default 30 s; > 0.
  absl::Duration timeout = absl::Seconds(30);
  // Verify the server's certificate and host name against the system CA store. Default true; only a
  // backend's `tls_verify: false` turns it off.
  bool tls_verify = true;
};

struct HttpResponse {
  // The final HTTP status code (redirects are not followed).
  int status = 0;
  // Response headers with names lower-cased, in arrival order.
  HttpHeaders headers;
  std::string body;
};

// Returns the value of the first header named `name` (case-insensitive), or nullopt.
absl::optional<std::string> FindHeader(const HttpHeaders& headers, absl::string_view name);

using HttpCallback = std::function<void(absl::StatusOr<HttpResponse>)>;

class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Starts `request` and returns at once. `done` runs exactly once, on a thread owned by the client
  // (see the implementation's comment), with the response or a transport error. Thread-safe.
  virtual void Send(HttpRequest request, HttpCallback done) = 0;
};

}  // namespace schedsvc::dispatch

#endif  // SCHEDSVC_DISPATCH_HTTP_CLIENT_H_
