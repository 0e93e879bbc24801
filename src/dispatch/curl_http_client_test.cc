// CurlHttpClient against real cpp-httplib servers on 127.0.0.1 (plain and TLS), port 0.
#include "src/dispatch/curl_http_client.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "src/common/clock.h"
#include "src/common/thread_executor.h"
#include "src/dispatch/delivery_outcome.h"
#include "testing/child_process.h"
#include "src/common/http_server_limits.h"

namespace schedsvc::dispatch {
namespace {

using Result = absl::StatusOr<HttpResponse>;

constexpr int kServerThreads = 8;
constexpr int kKeepAliveRequests = 100000;
constexpr int kStartPolls = 1000;
constexpr absl::Duration kStartPoll = absl::Milliseconds(5);
constexpr int kConcurrentRequests = 1000;
constexpr long kMaxConnectionsPerHost = 8;
constexpr absl::Duration kWaitLimit = absl::Seconds(60);
constexpr absl::Duration kShortTimeout = absl::Milliseconds(200);
// How long the /slow handler blocks unless released.
constexpr absl::Duration kSlowHandlerLimit = absl::Seconds(10);

// Runs `server` on a free loopback port in its own thread; stops it on destruction.
class ServerThread {
 public:
  // `set_default_pool`: serve on kServerThreads threads (false: keep the server's own task queue).
  // `keep_alive_requests`: requests served on one connection before the server closes it.
  explicit ServerThread(std::unique_ptr<httplib::Server> server, bool set_default_pool = true,
                        int keep_alive_requests = kKeepAliveRequests)
      : server_(std::move(server)) {
    if (set_default_pool) {
      server_->new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };
    }
    server_->set_keep_alive_max_count(keep_alive_requests);
    server_->set_keep_alive_timeout(5);
    server_->set_tcp_nodelay(true);
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = ServeInBackground(*server_);
    // stop() is a no-op until the accept loop runs (httplib 0.11), so wait for it before returning.
    for (int i = 0; i < kStartPolls && !server_->is_running(); ++i) absl::SleepFor(kStartPoll);
  }
  ~ServerThread() {
    server_->stop();
    thread_.join();
  }
  int port() const { return port_; }
  httplib::Server& server() { return *server_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

// Collects callback results and lets the test wait for a count.
class Results {
 public:
  HttpCallback Callback() {
    return [this](Result result) {
      absl::MutexLock lock(&mu_);
      results_.push_back(std::move(result));
    };
  }
  bool WaitFor(std::size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return results_.size() >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWaitLimit);
  }
  std::vector<Result> Take() {
    absl::MutexLock lock(&mu_);
    return std::move(results_);
  }

 private:
  absl::Mutex mu_;
  std::vector<Result> results_ ABSL_GUARDED_BY(mu_);
};

int ThreadCount() {
  int count = 0;
  if (DIR* dir = ::opendir("/proc/self/task")) {
    while (dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
  }
  return count;
}

class CurlHttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = std::make_unique<httplib::Server>();
    server->Get("/hello", [this](const httplib::Request& req, httplib::Response& res) {
      {
        absl::MutexLock lock(&mu_);
        remote_ports_.insert(req.remote_port);
      }
      res.set_header("X-Reply", "world");
      res.set_content("hello body", "text/plain");
    });
    server->set_error_handler([](const httplib::Request&, httplib::Response&) {});
    server->Post(R"(/status/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
      res.status = std::atoi(req.matches[1].str().c_str());
      res.set_header("Retry-After", "7");
      res.set_content("status body", "text/plain");
    });
    auto echo = [](const httplib::Request& req, httplib::Response& res) {
      std::string headers;
      for (const char* name : {"Authorization", "Idempotency-Key", "Content-Type", "X-Custom"}) {
        absl::StrAppend(&headers, name, "=", req.get_header_value(name), ";");
      }
      res.set_content(absl::StrCat(req.method, "|", req.body, "|", headers), "text/plain");
    };
    server->Post("/echo", echo);
    server->Put("/echo", echo);
    server->Patch("/echo", echo);
    server->Delete("/echo", echo);
    server->Get("/echo", echo);
    server->Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      release_slow_.WaitForNotificationWithTimeout(kSlowHandlerLimit);
      res.set_content("late", "text/plain");
    });
    server_ = std::make_unique<ServerThread>(std::move(server));
    base_ = absl::StrCat("http://127.0.0.1:", server_->port());

    CurlHttpClientOptions options;
    options.max_connections_per_host = kMaxConnectionsPerHost;
    auto client = CurlHttpClient::Create(options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  void TearDown() override {
    if (!release_slow_.HasBeenNotified()) release_slow_.Notify();
    client_.reset();
    server_.reset();
  }

  HttpRequest Request(const std::string& method, const std::string& path,
                      std::string body = "") {
    HttpRequest request;
    request.method = method;
    request.url = base_ + path;
    request.body = std::move(body);
    request.timeout = absl::Seconds(10);
    return request;
  }

  Result SendAndWait(HttpRequest request) {
    Results results;
    client_->Send(std::move(request), results.Callback());
    EXPECT_TRUE(results.WaitFor(1));
    std::vector<Result> all = results.Take();
    return all.empty() ? Result(absl::InternalError("no result")) : std::move(all[0]);
  }

  absl::Mutex mu_;
  std::set<int> remote_ports_ ABSL_GUARDED_BY(mu_);
  absl::Notification release_slow_;
  std::unique_ptr<ServerThread> server_;
  std::string base_;
  std::unique_ptr<CurlHttpClient> client_;
};

TEST_F(CurlHttpClientTest, ReturnsStatusHeadersAndBody) {
  Result result = SendAndWait(Request("GET", "/hello"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "hello body");
  EXPECT_EQ(FindHeader(result->headers, "x-reply"), "world");
  EXPECT_EQ(FindHeader(result->headers, "Content-Type"), "text/plain");
}

TEST_F(CurlHttpClientTest, HttpErrorsAreSuccessfulTransportResults) {
  for (int status : {201, 302, 400, 404, 429, 500, 503}) {
    Result result = SendAndWait(Request("POST", absl::StrCat("/status/", status), "{}"));
    ASSERT_TRUE(result.ok()) << status << ": " << result.status();
    EXPECT_EQ(result->status, status);
    EXPECT_EQ(FindHeader(result->headers, "retry-after"), "7");
  }
}

TEST_F(CurlHttpClientTest, SendsMethodBodyAndHeaders) {
  // (cpp-httplib ignores a GET body, so GET is checked without one in ReturnsStatusHeadersAndBody.)
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    HttpRequest request = Request(method, "/echo", R"({"k":1})");
    request.headers = {{"Content-Type", "application/json"},
                       {"Authorization", "Basic dTpw"},
                       {"Idempotency-Key", "m-1"},
                       {"X-Custom", "v"}};
    Result result = SendAndWait(std::move(request));
    ASSERT_TRUE(result.ok()) << method << ": " << result.status();
    EXPECT_EQ(result->body,
              absl::StrCat(method, R"(|{"k":1}|Authorization=Basic dTpw;Idempotency-Key=m-1;)",
                           "Content-Type=application/json;X-Custom=v;"));
  }
}

TEST_F(CurlHttpClientTest, ARequestCarriesNothingOfTheRequestBeforeIt) {
  // Sequential requests reuse one easy handle (and its options): each must send its own method, body and
  // headers, none of the previous request's.
  struct Step {
    const char* method;
    const char* body;
    bool with_headers;
    const char* want;
  };
  const Step steps[] = {
      {"PUT", R"({"k":1})", true, R"(PUT|{"k":1}|Authorization=Basic dTpw;Idempotency-Key=m-1;)"},
      {"GET", "", false, "GET||Authorization=;Idempotency-Key=;"},
      {"POST", R"({"k":2})", true, R"(POST|{"k":2}|Authorization=Basic dTpw;Idempotency-Key=m-1;)"},
      {"DELETE", "", false, "DELETE||Authorization=;Idempotency-Key=;"},
      {"POST", R"({"k":3})", false, R"(POST|{"k":3}|Authorization=;Idempotency-Key=;)"},
      {"PATCH", "", false, "PATCH||Authorization=;Idempotency-Key=;"},
  };
  for (const Step& step : steps) {
    HttpRequest request = Request(step.method, "/echo", step.body);
    if (step.with_headers) request.headers = {{"Authorization", "Basic dTpw"}, {"Idempotency-Key", "m-1"}};
    Result result = SendAndWait(std::move(request));
    ASSERT_TRUE(result.ok()) << step.method << ": " << result.status();
    EXPECT_TRUE(absl::StartsWith(result->body, step.want)) << step.method << ": " << result->body;
  }
  EXPECT_EQ(client_->connections_opened(), 1);
}

TEST_F(CurlHttpClientTest, TimeoutIsDeadlineExceeded) {
  HttpRequest request = Request("GET", "/slow");
  request.timeout = kShortTimeout;
  Result result = SendAndWait(std::move(request));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded) << result.status();
}

TEST_F(CurlHttpClientTest, ConnectionRefusedIsUnavailable) {
  const int closed_port = testing::PickFreePort();
  HttpRequest request = Request("GET", "/");
  request.url = absl::StrCat("http://127.0.0.1:", closed_port, "/");
  Result result = SendAndWait(std::move(request));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
}

TEST_F(CurlHttpClientTest, RefusesSchemesOtherThanHttp) {
  HttpRequest request = Request("GET", "/");
  request.url = "file:///etc/hostname";
  Result result = SendAndWait(std::move(request));
  EXPECT_FALSE(result.ok());
}

TEST_F(CurlHttpClientTest, ThousandConcurrentRequestsOnOneThreadReuseConnections) {
  // One request first, so the server's thread pool is fully started before threads are counted.
  ASSERT_TRUE(SendAndWait(Request("GET", "/hello")).ok());
  const int threads_before = ThreadCount();
  Results results;
  for (int i = 0; i < kConcurrentRequests; ++i) {
    client_->Send(Request("GET", "/hello"), results.Callback());
  }
  // The client's one loop thread existed before; queuing 1000 requests adds none.
  EXPECT_EQ(ThreadCount(), threads_before);
  ASSERT_TRUE(results.WaitFor(kConcurrentRequests));
  for (const Result& result : results.Take()) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->status, 200);
  }
  absl::MutexLock lock(&mu_);
  EXPECT_LE(remote_ports_.size(), static_cast<std::size_t>(kMaxConnectionsPerHost));
  EXPECT_LE(client_->connections_opened(), kMaxConnectionsPerHost);
  EXPECT_GE(client_->connections_opened(), 1);
}

TEST_F(CurlHttpClientTest, ShutdownFailsPendingRequestsWithCancelled) {
  Results results;
  client_->Send(Request("GET", "/slow"), results.Callback());
  client_->Shutdown();
  ASSERT_TRUE(results.WaitFor(1));
  EXPECT_EQ(results.Take()[0].status().code(), absl::StatusCode::kCancelled);
  // After shutdown, Send fails at once on the caller's thread.
  bool called = false;
  client_->Send(Request("GET", "/hello"), [&](Result result) {
    called = true;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  });
  EXPECT_TRUE(called);
}

TEST_F(CurlHttpClientTest, CallbackMaySendAgain) {
  Results results;
  client_->Send(Request("GET", "/hello"), [&](Result first) {
    ASSERT_TRUE(first.ok());
    client_->Send(Request("GET", "/hello"), results.Callback());
  });
  ASSERT_TRUE(results.WaitFor(1));
  EXPECT_TRUE(results.Take()[0].ok());
}

// Returns the id of the thread `fn`-style callbacks of `client` run on, for one request to `url`.
std::thread::id CallbackThread(CurlHttpClient& client, const std::string& url) {
  HttpRequest request;
  request.url = url;
  request.timeout = absl::Seconds(10);
  absl::Notification done;
  std::thread::id ran_on;
  client.Send(std::move(request), [&](Result result) {
    EXPECT_TRUE(result.ok()) << result.status();
    ran_on = std::this_thread::get_id();
    done.Notify();
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWaitLimit));
  return ran_on;
}

TEST_F(CurlHttpClientTest, CallbacksRunOnTheCallbackExecutorNotTheLoopThread) {
  SystemClock clock;
  ThreadExecutor executor(clock, 1);
  std::thread::id executor_thread;
  absl::Notification known;
  executor.Run([&] {
    executor_thread = std::this_thread::get_id();
    known.Notify();
  });
  ASSERT_TRUE(known.WaitForNotificationWithTimeout(kWaitLimit));

  CurlHttpClientOptions options;
  options.callback_executor = &executor;
  auto with_executor = CurlHttpClient::Create(options);
  ASSERT_TRUE(with_executor.ok()) << with_executor.status();
  EXPECT_EQ(CallbackThread(**with_executor, base_ + "/hello"), executor_thread);
  // A transfer that fails before it reaches the wire completes there too.
  HttpRequest refused;
  refused.url = "ftp://127.0.0.1/x";
  absl::Notification failed;
  std::thread::id failed_on;
  (*with_executor)->Send(std::move(refused), [&](Result result) {
    EXPECT_FALSE(result.ok());
    failed_on = std::this_thread::get_id();
    failed.Notify();
  });
  ASSERT_TRUE(failed.WaitForNotificationWithTimeout(kWaitLimit));
  EXPECT_EQ(failed_on, executor_thread);
  with_executor->reset();

  // Without one, on the loop thread: neither the executor's nor the test's.
  const std::thread::id loop_thread = CallbackThread(*client_, base_ + "/hello");
  EXPECT_NE(loop_thread, executor_thread);
  EXPECT_NE(loop_thread, std::this_thread::get_id());
  executor.Shutdown();
}

TEST_F(CurlHttpClientTest, ShutdownWithManyInFlightFailsEachOnceWithCancelled) {
  // More than the per-host connection limit: some are on the wire, the rest wait inside curl.
  constexpr int kRequests = 3 * kMaxConnectionsPerHost;
  Results results;
  for (int i = 0; i < kRequests; ++i) client_->Send(Request("GET", "/slow"), results.Callback());
  client_->Shutdown();
  ASSERT_TRUE(results.WaitFor(kRequests));
  std::vector<Result> all = results.Take();
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kRequests));
  for (const Result& result : all) EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
}

TEST_F(CurlHttpClientTest, TimeoutsFireWhileOtherRequestsSucceed) {
  constexpr int kSlowRequests = 4;
  Results slow;
  for (int i = 0; i < kSlowRequests; ++i) {
    HttpRequest request = Request("GET", "/slow");
    request.timeout = kShortTimeout;
    client_->Send(std::move(request), slow.Callback());
  }
  // While the slow ones hang, the loop keeps serving others on further connections.
  Result quick = SendAndWait(Request("GET", "/hello"));
  ASSERT_TRUE(quick.ok()) << quick.status();
  EXPECT_EQ(quick->status, 200);
  ASSERT_TRUE(slow.WaitFor(kSlowRequests));
  for (const Result& result : slow.Take()) {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded) << result.status();
  }
}

TEST_F(CurlHttpClientTest, IdleConnectionIsReusedByTheNextRequest) {
  // The socket leaves the loop's watch list between requests and must come back for the next one.
  constexpr int kSequential = 5;
  for (int i = 0; i < kSequential; ++i) {
    Result result = SendAndWait(Request("GET", "/hello"));
    ASSERT_TRUE(result.ok()) << result.status();
  }
  EXPECT_EQ(client_->connections_opened(), 1);
}

// Many sockets at once on the one loop thread: the server answers none of them until all have
// arrived, so every request must be on its own connection, in flight at the same time.
TEST(CurlHttpClientManyConnectionsTest, ManyConcurrentConnectionsAllComplete) {
  constexpr int kTogether = 48;
  absl::Mutex mu;
  int arrived = 0;
  auto server = std::make_unique<httplib::Server>();
  server->Get("/gate", [&](const httplib::Request&, httplib::Response& res) {
    absl::MutexLock lock(&mu);
    ++arrived;
    auto all_here = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return arrived >= kTogether; };
    const bool together = mu.AwaitWithTimeout(absl::Condition(&all_here), kWaitLimit);
    res.set_content(together ? "together" : "alone", "text/plain");
  });
  server->new_task_queue = [] { return new httplib::ThreadPool(kTogether); };
  ServerThread running(std::move(server), /*set_default_pool=*/false);
  auto client = CurlHttpClient::Create();
  ASSERT_TRUE(client.ok()) << client.status();
  Results results;
  for (int i = 0; i < kTogether; ++i) {
    HttpRequest request;
    request.method = "GET";
    request.url = absl::StrCat("http://127.0.0.1:", running.port(), "/gate");
    (*client)->Send(std::move(request), results.Callback());
  }
  ASSERT_TRUE(results.WaitFor(kTogether));
  for (const Result& result : results.Take()) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->body, "together");
  }
  EXPECT_EQ((*client)->connections_opened(), kTogether);
}

// A server that closes every connection after one response: curl notices the closed socket (a
// hang-up on the watched descriptor) and opens a new connection for each request.
TEST(CurlHttpClientClosingServerTest, ServerClosingEachConnectionIsHandled) {
  constexpr int kSequential = 20;
  auto server = std::make_unique<httplib::Server>();
  server->Get("/once", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("once", "text/plain");
  });
  ServerThread running(std::move(server), /*set_default_pool=*/true, /*keep_alive_requests=*/1);
  auto client = CurlHttpClient::Create();
  ASSERT_TRUE(client.ok()) << client.status();
  for (int i = 0; i < kSequential; ++i) {
    HttpRequest request;
    request.method = "GET";
    request.url = absl::StrCat("http://127.0.0.1:", running.port(), "/once");
    Results results;
    (*client)->Send(std::move(request), results.Callback());
    ASSERT_TRUE(results.WaitFor(1));
    Result result = results.Take()[0];
    ASSERT_TRUE(result.ok()) << i << ": " << result.status();
    EXPECT_EQ(result->body, "once");
  }
  EXPECT_EQ((*client)->connections_opened(), kSequential);
}

// A raw HTTP/1.1 server on 127.0.0.1, for answers cpp-httplib will not give. Each accepted connection is
// passed to `serve(server, fd, connection_index)` on the server's thread and closed after it returns. It
// counts the requests it read whole.
class RawHttpServer {
 public:
  // Longest the server waits for a connection or a request before giving up on it.
  static constexpr int kIoTimeoutMs = 10'000;
  using ServeConnection = std::function<void(RawHttpServer&, int fd, int connection)>;

  explicit RawHttpServer(ServeConnection serve) : serve_(std::move(serve)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ok_ = listen_fd_ >= 0 && ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
          ::listen(listen_fd_, 8) == 0;
    socklen_t len = sizeof(addr);
    ok_ = ok_ && ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    port_ = ntohs(addr.sin_port);
    if (ok_) thread_ = std::thread([this] { Serve(); });
  }
  ~RawHttpServer() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }
  bool ok() const { return ok_; }
  int port() const { return port_; }
  int requests_received() const { return requests_.load(); }

  // Reads one whole request (headers and a Content-Length body) from `fd`. False on EOF, error or timeout.
  bool ReadRequest(int fd) {
    std::string data;
    std::size_t header_end = std::string::npos;
    std::size_t body_length = 0;
    char buffer[4096];
    for (int waited_ms = 0; waited_ms < kIoTimeoutMs;) {
      if (header_end != std::string::npos && data.size() >= header_end + 4 + body_length) {
        requests_.fetch_add(1);
        return true;
      }
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, kPollSliceMs) == 0) {
        waited_ms += kPollSliceMs;
        continue;
      }
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) return false;
      data.append(buffer, static_cast<std::size_t>(n));
      if (header_end == std::string::npos && (header_end = data.find("\r\n\r\n")) != std::string::npos) {
        const std::string head = absl::AsciiStrToLower(data.substr(0, header_end));
        constexpr char kContentLength[] = "content-length:";
        const std::size_t at = head.find(kContentLength);
        if (at != std::string::npos) {
          body_length = std::strtoul(head.c_str() + at + sizeof(kContentLength) - 1, nullptr, 10);
        }
      }
    }
    return false;
  }

  static void SendRaw(int fd, absl::string_view bytes) {
    (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }

 private:
  // Poll slice, so the accept loop notices stop_ promptly.
  static constexpr int kPollSliceMs = 50;

  void Serve() {
    for (int connection = 0, waited_ms = 0; !stop_.load() && waited_ms < kIoTimeoutMs;) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, kPollSliceMs) == 0) {
        waited_ms += kPollSliceMs;
        continue;
      }
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      waited_ms = 0;
      serve_(*this, fd, connection++);
      ::close(fd);
    }
  }

  ServeConnection serve_;
  int listen_fd_ = -1;
  bool ok_ = false;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

constexpr absl::string_view kRawOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";

// POSTs `body` to `port` on loopback and waits for the result.
Result PostAndWait(CurlHttpClient& client, int port, const std::string& body) {
  HttpRequest request;
  request.method = "POST";
  request.url = absl::StrCat("http://127.0.0.1:", port, "/job");
  request.body = body;
  request.timeout = absl::Seconds(10);
  Results results;
  client.Send(std::move(request), results.Callback());
  EXPECT_TRUE(results.WaitFor(1));
  std::vector<Result> all = results.Take();
  return all.empty() ? Result(absl::InternalError("no result")) : std::move(all[0]);
}

// libcurl re-sends a request on a fresh connection when a reused one dies before any answer; for a POST
// the backend may then run it twice with nobody knowing. The client refuses the re-send instead: the
// attempt fails as a retryable transport error (the dispatcher retries it as a new, counted attempt).
TEST(CurlHttpClientReuseTest, RequestOnAReusedConnectionThatDiesIsResentAndCounted) {
  // The first connection answers its first request with keep-alive, reads the second whole and drops the
  // connection unanswered (a backend that crashed, or a gateway that dropped it, after the request
  // arrived); every later connection gets one answer.
  RawHttpServer server([](RawHttpServer& self, int fd, int connection) {
    if (self.ReadRequest(fd)) RawHttpServer::SendRaw(fd, kRawOk);
    if (connection == 0) self.ReadRequest(fd);
  });
  ASSERT_TRUE(server.ok());
  auto client = CurlHttpClient::Create();
  ASSERT_TRUE(client.ok()) << client.status();
  Result first = PostAndWait(**client, server.port(), "run-1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->status, 200);

  EXPECT_EQ((*client)->resends(), 0);
  // On the kept-alive connection, dropped after the server read it: curl sends it again on a new one.
  Result second = PostAndWait(**client, server.port(), "run-2");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(server.requests_received(), 3) << "the second request reached the server twice";
  EXPECT_EQ((*client)->resends(), 1) << "the re-send was not counted";
}

// libcurl reads on past an informational answer, but a 101 it did not ask for, followed by bytes, ends
// the exchange as the final answer: it reaches the classifier, which must not call it a 3xx.
TEST(CurlHttpClientInformationalTest, FinalSwitchingProtocolsIsARetryable1xx) {
  constexpr int kSwitchingProtocols = 101;
  RawHttpServer server([](RawHttpServer& self, int fd, int) {
    if (self.ReadRequest(fd)) RawHttpServer::SendRaw(fd, "HTTP/1.1 101 Switching Protocols\r\n\r\nnot http");
  });
  ASSERT_TRUE(server.ok());
  auto client = CurlHttpClient::Create();
  ASSERT_TRUE(client.ok()) << client.status();
  Result result = PostAndWait(**client, server.port(), "run");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->status, kSwitchingProtocols);
  DeliveryOutcome outcome = ClassifyAttempt(result, absl::UnixEpoch());
  EXPECT_EQ(outcome.kind, OutcomeKind::kRetryable);
  EXPECT_EQ(outcome.code_class, "1xx");
  EXPECT_FALSE(GetPermanentReason(outcome.status).has_value());
}

// TLS: a self-signed certificate is rejected unless the request opts out of verification.
TEST(CurlHttpClientTlsTest, VerifiesCertificatesUnlessDisabled) {
  char dir_template[] = "/tmp/curl_tls_test_XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string cert = dir + "/cert.pem";
  const std::string key = dir + "/key.pem";
  const std::string command = absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 ",
      "-subj /CN=127.0.0.1 -keyout ", key, " -out ", cert, " >/dev/null 2>&1");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  auto server = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str());
  ASSERT_TRUE(server->is_valid());
  server->Get("/tls", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("secure", "text/plain");
  });
  ServerThread running(std::move(server));
  auto client = CurlHttpClient::Create();
  ASSERT_TRUE(client.ok());

  HttpRequest request;
  request.method = "GET";
  request.url = absl::StrCat("https://127.0.0.1:", running.port(), "/tls");
  Results verified;
  (*client)->Send(request, verified.Callback());
  ASSERT_TRUE(verified.WaitFor(1));
  Result rejected = verified.Take()[0];
  EXPECT_FALSE(rejected.ok()) << "self-signed certificate must fail verification";

  request.tls_verify = false;
  Results unverified;
  (*client)->Send(request, unverified.Callback());
  ASSERT_TRUE(unverified.WaitFor(1));
  Result accepted = unverified.Take()[0];
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->body, "secure");

  (*client)->Shutdown();
  std::remove(cert.c_str());
  std::remove(key.c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace schedsvc::dispatch
