#include "src/dispatch/curl_http_client.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
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
#include "src/dispatch/curl_status.h"

namespace schedsvc::dispatch {
namespace {

// Socket events taken from the kernel per epoll_wait; further ready sockets are served on the next turn.
constexpr std::size_t kMaxEventsPerWait = 256;
// Easy handles kept for reuse, with their options (avoids re-allocating curl's per-handle buffers and
// setting the shared options again).
constexpr std::size_t kMaxIdleHandles = 256;
// Completion callbacks run by one callback-executor task (see PostCompleted).
constexpr std::size_t kMaxCallbacksPerTask = 16;
// Response bodies are kept up to this size (for logs); the rest is read and dropped.
constexpr std::size_t kMaxResponseBodyBytes = 64 * 1024;

// The `socketp` curl keeps for a socket that is in our epoll set; only its address matters.
char kInEpollSet = 0;

std::string ErrnoText(absl::string_view what) { return absl::StrCat(what, ": ", std::strerror(errno)); }

// CLOCK_MONOTONIC in nanoseconds: the clock curl's own timeouts run on. It only mirrors curl's timer
// in the loop's epoll_wait timeout (a read from the vDSO, where a timerfd would cost a system call per
// re-arm); no decision of ours depends on it, so it is not the injectable schedsvc::Clock.
std::int64_t MonotonicNanos() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

constexpr std::int64_t kNanosPerMilli = 1'000'000;
constexpr std::int64_t kNoTimer = -1;

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
    for (int fd : {epoll_fd_, wake_fd_}) {
      if (fd >= 0) ::close(fd);
    }
  }

  // Creates the epoll set and its wake-up eventfd, hooks them into the multi handle and starts the loop
  // thread. kInternal if a descriptor cannot be created.
  absl::Status Start() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return absl::InternalError(ErrnoText("epoll_create1"));
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) return absl::InternalError(ErrnoText("eventfd"));
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.fd = wake_fd_;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) != 0) {
      return absl::InternalError(ErrnoText("epoll_ctl"));
    }
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Impl::OnSocket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Impl::OnTimer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
    thread_ = std::thread([this] { Loop(); });
    return absl::OkStatus();
  }

  void Send(HttpRequest request, HttpCallback done) {
    auto transfer = std::make_unique<Transfer>();
    transfer->request = std::move(request);
    transfer->done = std::move(done);
    bool queued = false;
    bool wake = false;
    {
      absl::MutexLock lock(&mu_);
      if (!stopping_) {
        // Only the first request queued since the loop last took the queue needs a wake-up: one
        // eventfd write per batch, not per request. (The loop drains the eventfd before it takes the
        // queue, so a wake-up written after that is never lost; at worst it costs one empty turn.)
        wake = pending_.empty();
        pending_.push_back(std::move(transfer));
        queued = true;
      }
    }
    if (queued) {
      if (wake) Wake();
      return;
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
      if (wake_fd_ >= 0) Wake();
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
  long resends() const { return resends_.load(std::memory_order_relaxed); }

 private:
  struct Transfer {
    HttpRequest request;
    HttpCallback done;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    HttpResponse response;
    char error[CURL_ERROR_SIZE] = {0};
    // Times curl was about to send the request (OnPrereq); more than once means it re-sent it.
    int sends = 0;
  };

  // CURLOPT_PREREQFUNCTION: runs each time curl is about to send the request on a connection. curl sends
  // a request again, on a fresh connection, when a reused connection dies before any answer. Nearly always
  // the connection had gone stale while idle (the server closed it; the request never arrived), which at
  // one scheduled message a minute against a backend's shorter idle timeout is every message: refusing the
  // re-send would fail those attempts. Rarely the backend received the request and died: it may then run
  // twice (the Idempotency-Key header lets it tell). Re-sends are allowed and counted (resends()).
  static int OnPrereq(void* user, char*, char*, int, int) {
    ++static_cast<Transfer*>(user)->sends;
    return CURL_PREREQFUNC_OK;
  }

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

  // Returns an easy handle with the options every request shares already set: a reused one (curl keeps
  // options across transfers on a handle), else a new one; null if curl cannot make one.
  CURL* TakeHandle() {
    if (!idle_handles_.empty()) {
      CURL* easy = idle_handles_.back();
      idle_handles_.pop_back();
      return easy;
    }
    CURL* easy = curl_easy_init();
    if (easy != nullptr && ConfigureShared(easy) != CURLE_OK) {
      curl_easy_cleanup(easy);
      return nullptr;
    }
    return easy;
  }

  // Keeps the handle for the next request as it is: Configure() sets every per-request option again, so
  // nothing of this request (its pointers into the Transfer, body or headers) is used after it.
  void ReleaseHandle(Transfer& transfer) {
    if (transfer.headers != nullptr) curl_slist_free_all(transfer.headers);
    transfer.headers = nullptr;
    if (transfer.easy == nullptr) return;
    if (idle_handles_.size() < kMaxIdleHandles) {
      idle_handles_.push_back(transfer.easy);
    } else {
      curl_easy_cleanup(transfer.easy);
    }
    transfer.easy = nullptr;
  }

  // The options that are the same for every request, set once per handle. Returns the first failing
  // setopt's code (CURLE_OK if all succeeded).
  CURLcode ConfigureShared(CURL* easy) {
    CURLcode rc = CURLE_OK;
    auto set = [&rc](CURLcode r) {
      if (rc == CURLE_OK) rc = r;
    };
    set(curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https"));
    set(curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L));
    set(curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L));
    set(curl_easy_setopt(easy, CURLOPT_HTTP_VERSION,
                         options_.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1));
    set(curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                         std::max<long>(1, absl::ToInt64Milliseconds(options_.connect_timeout))));
    set(curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Impl::OnBody));
    set(curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Impl::OnHeader));
    set(curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &Impl::OnPrereq));
    return rc;
  }

  // The options of this request: every one that differs between requests is set each time, whatever
  // the handle's previous request set. Returns the first failing setopt's code (CURLE_OK if all
  // succeeded).
  CURLcode Configure(Transfer& t) {
    CURL* easy = t.easy;
    const HttpRequest& request = t.request;
    CURLcode rc = CURLE_OK;
    auto set = [&rc](CURLcode r) {
      if (rc == CURLE_OK) rc = r;
    };
    set(curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str()));
    set(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, request.tls_verify ? 1L : 0L));
    set(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, request.tls_verify ? 2L : 0L));
    set(curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                         std::max<long>(1, absl::ToInt64Milliseconds(request.timeout))));
    set(curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.error));
    set(curl_easy_setopt(easy, CURLOPT_PRIVATE, &t));
    set(curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t));
    set(curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t));
    set(curl_easy_setopt(easy, CURLOPT_PREREQDATA, &t));

    // The method: POSTFIELDS makes a POST with that body, HTTPGET a request without one (and clears a
    // previous request's body); CUSTOMREQUEST then renames the method, or is cleared for POST and GET.
    const bool send_body = !request.body.empty() ||
                           (request.method != "GET" && request.method != "DELETE");
    if (send_body) {
      set(curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                           static_cast<curl_off_t>(request.body.size())));
      set(curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data()));
    } else {
      set(curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L));
    }
    const bool plain_method = (send_body && request.method == "POST") || (!send_body && request.method == "GET");
    set(curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, plain_method ? nullptr : request.method.c_str()));

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
      Complete(*transfer, absl::InternalError("curl_easy_init failed"));
      return;
    }
    CURLcode rc = Configure(*transfer);
    if (rc == CURLE_OK) {
      const CURLMcode mrc = curl_multi_add_handle(multi_, transfer->easy);
      if (mrc != CURLM_OK) {
        ReleaseHandle(*transfer);
        Complete(*transfer, absl::InternalError(
                                absl::StrCat("curl_multi_add_handle: ", curl_multi_strerror(mrc))));
        return;
      }
      CURL* easy = transfer->easy;
      active_.emplace(easy, std::move(transfer));
      return;
    }
    ReleaseHandle(*transfer);
    Complete(*transfer, FromCurlCode(rc, curl_easy_strerror(rc)));
  }

  // Runs the callback of a transfer the loop thread finished: without a callback executor at once; with
  // one, it is collected and PostCompleted() hands the turn's callbacks to the executor, so nothing the
  // caller does in them can stall the loop.
  void Complete(Transfer& transfer, absl::StatusOr<HttpResponse> outcome) {
    if (options_.callback_executor == nullptr) {
      transfer.done(std::move(outcome));
      return;
    }
    completed_.emplace_back(std::move(transfer.done), std::move(outcome));
  }

  // Posts the callbacks collected in this loop turn, up to kMaxCallbacksPerTask per executor task: under
  // load one turn finishes many transfers, and one task for several of them spares a thread wake-up per
  // request; the cap keeps the executor's other threads busy, so one callback that blocks (a credential
  // file on a slow mount) delays only the few queued behind it.
  void PostCompleted() {
    for (std::size_t begin = 0; begin < completed_.size(); begin += kMaxCallbacksPerTask) {
      const std::size_t end = std::min(completed_.size(), begin + kMaxCallbacksPerTask);
      std::vector<Completion> task(std::make_move_iterator(completed_.begin() + begin),
                                   std::make_move_iterator(completed_.begin() + end));
      options_.callback_executor->Run([task = std::move(task)]() mutable {
        for (auto& [done, outcome] : task) done(std::move(outcome));
      });
    }
    completed_.clear();
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
    if (transfer->sends > 1) resends_.fetch_add(transfer->sends - 1, std::memory_order_relaxed);
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
    Complete(*transfer, std::move(outcome));
  }

  // One loop turn: wait for socket readiness, curl's timer or a wake-up; let curl act on exactly the
  // sockets that are ready (O(ready sockets), not O(connections) as with curl_multi_poll); start queued
  // requests; complete finished ones.
  void Loop() {
    std::array<epoll_event, kMaxEventsPerWait> events;
    for (;;) {
      const int ready = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                                     EpollTimeoutMs());
      int running = 0;
      for (int i = 0; i < ready; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_fd_) {
          std::uint64_t count = 0;
          // Non-blocking: EAGAIN (already drained) is fine.
          [[maybe_unused]] ssize_t n = ::read(fd, &count, sizeof(count));
          continue;
        }
        curl_multi_socket_action(multi_, fd, CurlEventMask(events[i].events), &running);
      }
      if (timer_deadline_ns_ != kNoTimer && MonotonicNanos() >= timer_deadline_ns_) {
        // One-shot, like curl's timer: curl reports the next deadline (or none) while it acts.
        timer_deadline_ns_ = kNoTimer;
        curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
      }
      std::vector<std::unique_ptr<Transfer>> batch;
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        batch.swap(pending_);
      }
      // Adding a handle makes curl ask for a zero timeout, so the next turn starts it at once.
      for (auto& transfer : batch) StartTransfer(std::move(transfer));
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
        if (message->msg == CURLMSG_DONE) Finish(message->easy_handle, message->data.result);
      }
      PostCompleted();
    }
  }

  static int CurlEventMask(std::uint32_t events) {
    int mask = 0;
    // A hang-up is reported as readable so curl reads the end of stream (or the error) itself.
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) != 0) mask |= CURL_CSELECT_IN;
    if ((events & EPOLLOUT) != 0) mask |= CURL_CSELECT_OUT;
    if ((events & EPOLLERR) != 0) mask |= CURL_CSELECT_ERR;
    return mask;
  }

  // CURLMOPT_SOCKETFUNCTION: keeps the epoll set in step with what curl wants to wait for. A socket's
  // `socketp` is non-null once it is in the set (curl_multi_assign).
  static int OnSocket(CURL* /*easy*/, curl_socket_t socket, int what, void* user, void* socketp) {
    auto* self = static_cast<Impl*>(user);
    if (what == CURL_POLL_REMOVE) {
      // The socket may already be closed (then the kernel has dropped it from the set): ignore errors.
      ::epoll_ctl(self->epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);
      curl_multi_assign(self->multi_, socket, nullptr);
      return 0;
    }
    epoll_event event{};
    event.data.fd = socket;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) event.events |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) event.events |= EPOLLOUT;
    if (socketp == nullptr) {
      // A reused descriptor number can still be in the set: then modify it.
      if (::epoll_ctl(self->epoll_fd_, EPOLL_CTL_ADD, socket, &event) != 0 && errno == EEXIST) {
        ::epoll_ctl(self->epoll_fd_, EPOLL_CTL_MOD, socket, &event);
      }
      curl_multi_assign(self->multi_, socket, &kInEpollSet);
    } else if (::epoll_ctl(self->epoll_fd_, EPOLL_CTL_MOD, socket, &event) != 0 && errno == ENOENT) {
      ::epoll_ctl(self->epoll_fd_, EPOLL_CTL_ADD, socket, &event);
    }
    return 0;
  }

  // CURLMOPT_TIMERFUNCTION: -1 removes the timer, 0 asks for an action at once (curl forbids calling
  // curl_multi_socket_action from here, so the loop does it on its next turn), > 0 sets the deadline
  // the loop's epoll_wait sleeps until.
  static int OnTimer(CURLM* /*multi*/, long timeout_ms, void* user) {
    auto* self = static_cast<Impl*>(user);
    self->timer_deadline_ns_ =
        timeout_ms < 0 ? kNoTimer : MonotonicNanos() + static_cast<std::int64_t>(timeout_ms) * kNanosPerMilli;
    return 0;
  }

  // Returns how long epoll_wait may sleep: until curl's deadline (rounded up to whole milliseconds),
  // or forever (-1) without one; Send() and Shutdown() wake it early.
  int EpollTimeoutMs() const {
    if (timer_deadline_ns_ == kNoTimer) return -1;
    const std::int64_t left = timer_deadline_ns_ - MonotonicNanos();
    if (left <= 0) return 0;
    return static_cast<int>((left + kNanosPerMilli - 1) / kNanosPerMilli);
  }

  void Wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  }

  CURLM* const multi_;
  const CurlHttpClientOptions options_;
  int epoll_fd_ = -1;
  // Written by Send() and Shutdown() to wake the loop from epoll_wait.
  int wake_fd_ = -1;
  // When curl's next timeout is due (MonotonicNanos), or kNoTimer. Loop thread only.
  std::int64_t timer_deadline_ns_ = kNoTimer;
  std::thread thread_;
  std::once_flag shutdown_once_;
  std::atomic<long> connections_opened_{0};
  std::atomic<long> resends_{0};

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Transfer>> pending_ ABSL_GUARDED_BY(mu_);

  // Owned by the loop thread while it runs, then by Shutdown().
  absl::flat_hash_map<CURL*, std::unique_ptr<Transfer>> active_;
  // Callbacks of this loop turn's finished transfers, for PostCompleted(). Loop thread only.
  using Completion = std::pair<HttpCallback, absl::StatusOr<HttpResponse>>;
  std::vector<Completion> completed_;
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
  if (absl::Status started = impl->Start(); !started.ok()) return started;
  return std::unique_ptr<CurlHttpClient>(new CurlHttpClient(std::move(impl)));
}

CurlHttpClient::CurlHttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CurlHttpClient::~CurlHttpClient() { impl_->Shutdown(); }

void CurlHttpClient::Send(HttpRequest request, HttpCallback done) {
  impl_->Send(std::move(request), std::move(done));
}

void CurlHttpClient::Shutdown() { impl_->Shutdown(); }

long CurlHttpClient::connections_opened() const { return impl_->connections_opened(); }

long CurlHttpClient::resends() const { return impl_->resends(); }

}  // namespace schedsvc::dispatch
