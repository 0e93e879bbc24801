#include "testing/fake_http_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace schedsvc::testing {
namespace {

dispatch::HttpRequest Request(const std::string& url) {
  dispatch::HttpRequest request;
  request.url = url;
  return request;
}

TEST(FakeHttpClientTest, ReplaysScriptThenDefaultAndRecordsRequests) {
  FakeHttpClient client;
  client.Script(FakeHttpClient::Response(503, "", {{"Retry-After", "1"}}));
  client.Script(absl::UnavailableError("connection refused"));
  std::vector<absl::StatusOr<dispatch::HttpResponse>> answers;
  for (const char* url : {"http://a/1", "http://a/2", "http://a/3"}) {
    client.Send(Request(url), [&](absl::StatusOr<dispatch::HttpResponse> r) {
      answers.push_back(std::move(r));
    });
  }
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0]->status, 503);
  EXPECT_EQ(dispatch::FindHeader(answers[0]->headers, "retry-after"), "1");
  EXPECT_EQ(answers[1].status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(answers[2]->status, 200);
  ASSERT_EQ(client.request_count(), 3u);
  EXPECT_EQ(client.requests()[1].url, "http://a/2");
}

TEST(FakeHttpClientTest, HoldsAnswersUntilDelivered) {
  FakeHttpClient client;
  client.set_deliver_immediately(false);
  int done = 0;
  client.Send(Request("http://a/"), [&](absl::StatusOr<dispatch::HttpResponse>) { ++done; });
  EXPECT_EQ(done, 0);
  EXPECT_EQ(client.held_count(), 1u);
  EXPECT_EQ(client.DeliverAll(), 1);
  EXPECT_EQ(done, 1);
  EXPECT_FALSE(client.DeliverNext());
}

}  // namespace
}  // namespace schedsvc::testing
