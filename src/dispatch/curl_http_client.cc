#include "src/dispatch/curl_http_client.h"

#include <curl/curl.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "src/common/check.h"
#include "src/common/status.h"

namespace schedsvc::dispatch {
namespace {

// Longest the loop sleeps in curl_multi_poll when nothing happens; Send() and Shutdown() wake it early.
constexpr int kPollTimeoutMs = 1000;
// Easy handles kept for reuse (avoids re-allocating curl's per-handle buffers).
constexpr std::size_t kMaxIdleHandles = 256;
// Response bodies are kept up to this size (for logs); the rest is read and dropped.
constexpr std::size_t kMaxResponseBodyBytes = 64 * 1024;

absl::Status InitCurlOnce() {
  static const CURLcode kInit = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (kInit != CURLE_OK) return FromCurlCode(kInit, "curl_global_init");
  return absl::OkStatus();
}

}  // namespace

class CurlHttpClient::Impl {
 public:
  Impl(CURLM* multi, CurlHttpClientOptions options) : multi_(multi), options_(options) {}

  ~Impl() {
    Shutdown();
    for (CURL* easy : idle_handles_) curl_easy_cleanup(easy);
    curl_multi_cleanup(multi_);
  }

  void Start() { thread_ = std::thread([this] { Loop(); }); }

  void Send(HttpRequest request, HttpCallback done) {
    auto transfer = std::make_unique<Transfer>();
    transfer->request = std::move(request);
    transfer->done = std::move(done);
    {
      absl::MutexLock lock(&mu_);
      if (!stopping_) {
        pending_.push_back(std::move(transfer));
        curl_multi_wakeup(multi_);
        return;
      }
    }
    transfer->done(absl::CancelledError("HTTP client is shut down"));
  }

  void Shutdown() {
    std::call_once(shutdown_once_, [this] {
      SCHEDSVC_CHECK(std::this_thread::get_id() != thread_.get_id());
      {
        absl::MutexLock lock(&mu_);
        stopping_ = true;
      }
      curl_multi_wakeup(multi_);
      if (thread_.joinable()) thread_.join();
      // The loop has exited: this thread now owns active_ and the multi handle.
      std::vector<std::unique_ptr<Transfer>> cancelled;
      for (auto& [easy, transfer] : active_) {
        curl_multi_remove_handle(multi_, easy);
        cancelled.push_back(std::move(transfer));
      }
      active_.clear();
      {
        absl::MutexLock lock(&mu_);
        for (auto& transfer : pending_) cancelled.push_back(std::move(transfer));
        pending_.clear();
      }
      for (auto& transfer : cancelled) {
        ReleaseHandle(*transfer);
        transfer->done(absl::CancelledError("HTTP client shut down before the request finished"));
      }
    });
  }

  long connections_opened() const { return connections_opened_.load(std::memory_order_relaxed); }

 private:
  struct Transfer {
    HttpRequest request;
    HttpCallback done;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    HttpResponse response;
    char error[CURL_ERROR_SIZE] = {0};
  };

  static std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    std::string& body = transfer->response.body;
    if (body.size() < kMaxResponseBodyBytes) {
      body.append(data, std::min(bytes, kMaxResponseBodyBytes - body.size()));
    }
    return bytes;
  }

  static std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    absl::string_view line(data, bytes);
    if (absl::StartsWith(line, "HTTP/")) {
      // A new response starts (after a 100 Continue, say): only the final one's headers count.
      transfer->response.headers.clear();
      return bytes;
    }
    const std::size_t colon = line.find(':');
    if (colon == absl::string_view::npos) return bytes;
    transfer->response.headers.emplace_back(
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon))),
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
    return bytes;
  }

  CURL* TakeHandle() {
    if (idle_handles_.empty()) return curl_easy_init();
    CURL* easy = idle_handles_.back();
    idle_handles_.pop_back();
    return easy;
  }

  void ReleaseHandle(Transfer& transfer) {
    if (transfer.headers != nullptr) curl_slist_free_all(transfer.headers);
    transfer.headers = nullptr;
    if (transfer.easy == nullptr) return;
    if (idle_handles_.size() < kMaxIdleHandles) {
      curl_easy_reset(transfer.easy);
      idle_handles_.push_back(transfer.easy);
    } else {
      curl_easy_cleanup(transfer.easy);
    }
    transfer.easy = nullptr;
  }

  // Returns the first failing setopt's code (CURLE_OK if all succeeded).
  CURLcode Configure(Transfer& t) {
    CURL* easy = t.easy;
    const HttpRequest& request = t.request;
    CURLcode rc = CURLE_OK;
    auto set = [&rc](CURLcode r) {
      if (rc == CURLE_OK) rc = r;
    };
    set(curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str()));
    set(curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https"));
    set(curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L));
    set(curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L));
    set(curl_easy_setopt(easy, CURLOPT_HTTP_VERSION,
                         options_.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1));
    set(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, request.tls_verify ? 1L : 0L));
    set(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, request.tls_verify ? 2L : 0L));
    set(curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                         std::max<long>(1, absl::ToInt64Milliseconds(request.timeout))));
    set(curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                         std::max<long>(1, absl::ToInt64Milliseconds(options_.connect_timeout))));
    set(curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.error));
    set(curl_easy_setopt(easy, CURLOPT_PRIVATE, &t));
    set(curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Impl::OnBody));
    set(curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t));
    set(curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Impl::OnHeader));
    set(curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t));

    const bool send_body = !request.body.empty() ||
                           (request.method != "GET" && request.method != "DELETE");
    if (send_body) {
      set(curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                           static_cast<curl_off_t>(request.body.size())));
      set(curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data()));
    }
    if (request.method == "GET" && !send_body) {
      set(curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L));
    } else if (request.method != "POST") {
      set(curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str()));
    }

    for (const auto& [name, value] : request.headers) {
      // "Name;" is curl's way to send a header with an empty value.
      const std::string line =
          value.empty() ? absl::StrCat(name, ";") : absl::StrCat(name, ": ", value);
      t.headers = curl_slist_append(t.headers, line.c_str());
    }
    // No "Expect: 100-continue" round trip before bodies over 1 KiB.
    t.headers = curl_slist_append(t.headers, "Expect:");
    set(curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t.headers));
    return rc;
  }

  void StartTransfer(std::unique_ptr<Transfer> transfer) {
    transfer->easy = TakeHandle();
    if (transfer->easy == nullptr) {
      transfer->done(absl::InternalError("curl_easy_init failed"));
      return;
    }
    CURLcode rc = Configure(*transfer);
    if (rc == CURLE_OK) {
      const CURLMcode mrc = curl_multi_add_handle(multi_, transfer->easy);
      if (mrc != CURLM_OK) {
        ReleaseHandle(*transfer);
        transfer->done(absl::InternalError(
            absl::StrCat("curl_multi_add_handle: ", curl_multi_strerror(mrc))));
        return;
      }
      CURL* easy = transfer->easy;
      active_.emplace(easy, std::move(transfer));
      return;
    }
    ReleaseHandle(*transfer);
    transfer->done(FromCurlCode(rc, curl_easy_strerror(rc)));
  }

  void Finish(CURL* easy, CURLcode result) {
    auto it = active_.find(easy);
    if (it == active_.end()) return;
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    active_.erase(it);
    curl_multi_remove_handle(multi_, easy);

    long connects = 0;
    if (curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK) {
      connections_opened_.fetch_add(connects, std::memory_order_relaxed);
    }
    absl::StatusOr<HttpResponse> outcome = absl::InternalError("unset");
    if (result == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      transfer->response.status = static_cast<int>(status);
      outcome = std::move(transfer->response);
    } else {
      outcome = FromCurlCode(result, transfer->error[0] != '\0' ? transfer->error
                                                                 : curl_easy_strerror(result));
    }
    ReleaseHandle(*transfer);
    transfer->done(std::move(outcome));
  }

  void Loop() {
    for (;;) {
      std::vector<std::unique_ptr<Transfer>> batch;
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        batch.swap(pending_);
      }
      for (auto& transfer : batch) StartTransfer(std::move(transfer));
      int running = 0;
      curl_multi_perform(multi_, &running);
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
        if (message->msg == CURLMSG_DONE) Finish(message->easy_handle, message->data.result);
      }
      curl_multi_poll(multi_, nullptr, 0, kPollTimeoutMs, nullptr);
    }
  }

  CURLM* const multi_;
  const CurlHttpClientOptions options_;
  std::thread thread_;
  std::once_flag shutdown_once_;
  std::atomic<long> connections_opened_{0};

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Transfer>> pending_ ABSL_GUARDED_BY(mu_);

  // Owned by the loop thread while it runs, then by Shutdown().
  absl::flat_hash_map<CURL*, std::unique_ptr<Transfer>> active_;
  std::vector<CURL*> idle_handles_;
};

absl::StatusOr<std::unique_ptr<CurlHttpClient>> CurlHttpClient::Create(
    CurlHttpClientOptions options) {
  if (absl::Status init = InitCurlOnce(); !init.ok()) return init;
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return absl::InternalError("curl_multi_init failed");
  curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  if (options.max_connections_per_host > 0) {
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, options.max_connections_per_host);
  }
  if (options.max_cached_connections > 0) {
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, options.max_cached_connections);
  }
  auto impl = std::make_unique<Impl>(multi, options);
  impl->Start();
  return std::unique_ptr<CurlHttpClient>(new CurlHttpClient(std::move(impl)));
}

CurlHttpClient::CurlHttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CurlHttpClient::~CurlHttpClient() { impl_->Shutdown(); }

void CurlHttpClient::Send(HttpRequest request, HttpCallback done) {
  impl_->Send(std::move(request), std::move(done));
}

void CurlHttpClient::Shutdown() { impl_->Shutdown(); }

long CurlHttpClient::connections_opened() const { return impl_->connections_opened(); }

}  // namespace schedsvc::dispatch
