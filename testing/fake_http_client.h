// FakeHttpClient: an in-memory HttpClient for dispatcher tests. It records every request and answers
// from a script of responses / transport errors (first in, first out), or a default answer when the
// script is empty. By default the callback runs inside Send() on the caller's thread; with
// set_deliver_immediately(false) answers are held until the test calls DeliverAll()/DeliverNext(), so a
// test can observe in-flight state and the ordering of completions. Thread-safe.
#ifndef SCHEDSVC_TESTING_FAKE_HTTP_CLIENT_H_
#define SCHEDSVC_TESTING_FAKE_HTTP_CLIENT_H_

#include <cstddef>
#include <deque>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "src/dispatch/http_client.h"

namespace schedsvc::testing {

class FakeHttpClient final : public dispatch::HttpClient {
 public:
  using Answer = absl::StatusOr<dispatch::HttpResponse>;

  // Returns a response with `status` and `body`, and `headers` (names as given).
  static dispatch::HttpResponse Response(int status, std::string body = "",
                                         dispatch::HttpHeaders headers = {}) {
    dispatch::HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    return response;
  }

  // Queues `answer` for the next request that finds the script non-empty.
  void Script(Answer answer) {
    absl::MutexLock lock(&mu_);
    script_.push_back(std::move(answer));
  }
  // Queues `answer` `times` times.
  void ScriptRepeated(const Answer& answer, int times) {
    absl::MutexLock lock(&mu_);
    for (int i = 0; i < times; ++i) script_.push_back(answer);
  }
  // Sets the answer used when the script is empty. Initially HTTP 200 with an empty body.
  void SetDefault(Answer answer) {
    absl::MutexLock lock(&mu_);
    default_answer_ = std::move(answer);
  }
  // When false, answers are held until DeliverNext()/DeliverAll(). Default true.
  void set_deliver_immediately(bool value) {
    absl::MutexLock lock(&mu_);
    deliver_immediately_ = value;
  }

  void Send(dispatch::HttpRequest request, dispatch::HttpCallback done) override {
    Answer answer = absl::InternalError("unset");
    bool deliver_now = false;
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
      if (script_.empty()) {
        answer = default_answer_;
      } else {
        answer = std::move(script_.front());
        script_.pop_front();
      }
      deliver_now = deliver_immediately_;
      if (!deliver_now) held_.emplace_back(std::move(done), std::move(answer));
    }
    if (deliver_now) done(std::move(answer));
  }

  // Completes the oldest held request (outside the lock). Returns false if none was held.
  bool DeliverNext() {
    std::pair<dispatch::HttpCallback, Answer> next{nullptr, absl::InternalError("unset")};
    {
      absl::MutexLock lock(&mu_);
      if (held_.empty()) return false;
      next = std::move(held_.front());
      held_.pop_front();
    }
    next.first(std::move(next.second));
    return true;
  }
  // Completes every held request, including ones sent by the callbacks it runs. Returns how many.
  int DeliverAll() {
    int count = 0;
    while (DeliverNext()) ++count;
    return count;
  }

  // Returns a copy of every request sent so far, in order.
  std::vector<dispatch::HttpRequest> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  std::size_t request_count() const {
    absl::MutexLock lock(&mu_);
    return requests_.size();
  }
  std::size_t held_count() const {
    absl::MutexLock lock(&mu_);
    return held_.size();
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<dispatch::HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::deque<Answer> script_ ABSL_GUARDED_BY(mu_);
  Answer default_answer_ ABSL_GUARDED_BY(mu_) = Response(200);
  bool deliver_immediately_ ABSL_GUARDED_BY(mu_) = true;
  std::deque<std::pair<dispatch::HttpCallback, Answer>> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace schedsvc::testing

#endif  // SCHEDSVC_TESTING_FAKE_HTTP_CLIENT_H_
