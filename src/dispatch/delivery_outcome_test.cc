#include "src/dispatch/delivery_outcome.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace schedsvc::dispatch {
namespace {

// 2015-10-21 07:28:00 UTC.
const absl::Time kNow = absl::FromUnixSeconds(1445412480);

HttpResponse Response(int status, HttpHeaders headers = {}) {
  HttpResponse response;
  response.status = status;
  response.headers = std::move(headers);
  return response;
}

TEST(DeliveryOutcomeTest, SuccessOn2xx) {
  for (int status : {200, 201, 204, 299}) {
    DeliveryOutcome outcome = ClassifyAttempt(Response(status), kNow);
    EXPECT_EQ(outcome.kind, OutcomeKind::kSuccess) << status;
    EXPECT_EQ(outcome.code_class, "2xx");
    EXPECT_TRUE(outcome.status.ok());
    EXPECT_EQ(outcome.http_status, status);
  }
}

TEST(DeliveryOutcomeTest, RetryableOn408_429_5xx) {
  for (int status : {408, 429, 500, 502, 503, 504, 599}) {
    DeliveryOutcome outcome = ClassifyAttempt(Response(status), kNow);
    EXPECT_EQ(outcome.kind, OutcomeKind::kRetryable) << status;
    EXPECT_EQ(outcome.code_class, status >= 500 ? "5xx" : "4xx");
    EXPECT_FALSE(GetPermanentReason(outcome.status).has_value());
  }
}

TEST(DeliveryOutcomeTest, CredentialRejectionIsRetryableNotTheMessagesFault) {
  for (int status : {401, 403}) {
    DeliveryOutcome outcome = ClassifyAttempt(Response(status), kNow);
    EXPECT_EQ(outcome.kind, OutcomeKind::kRetryable) << status;
    EXPECT_TRUE(outcome.credential_rejected) << status;
    EXPECT_EQ(outcome.code_class, "4xx");
    EXPECT_EQ(outcome.http_status, status);
    EXPECT_FALSE(GetPermanentReason(outcome.status).has_value());
  }
  EXPECT_EQ(ClassifyAttempt(Response(401), kNow).status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ClassifyAttempt(Response(403), kNow).status.code(), absl::StatusCode::kPermissionDenied);
  for (int status : {200, 400, 404, 429, 503}) {
    EXPECT_FALSE(ClassifyAttempt(Response(status), kNow).credential_rejected) << status;
  }
}

TEST(DeliveryOutcomeTest, PermanentOnOther4xxAnd3xx) {
  for (int status : {400, 404, 409, 410, 413, 422}) {
    DeliveryOutcome outcome = ClassifyAttempt(Response(status), kNow);
    EXPECT_EQ(outcome.kind, OutcomeKind::kPermanent) << status;
    EXPECT_EQ(outcome.code_class, "4xx");
    EXPECT_EQ(GetPermanentReason(outcome.status), PermanentReason::kHttp4xx);
  }
  for (int status : {301, 302, 304, 307}) {
    DeliveryOutcome outcome = ClassifyAttempt(Response(status), kNow);
    EXPECT_EQ(outcome.kind, OutcomeKind::kPermanent) << status;
    EXPECT_EQ(outcome.code_class, "3xx");
    EXPECT_EQ(GetPermanentReason(outcome.status), PermanentReason::kHttp3xx);
  }
}

TEST(DeliveryOutcomeTest, FinalInformationalAnswerIsARetryableProtocolErrorNot3xx) {
  for (int status : {100, 101, 103, 199}) {
    DeliveryOutcome outcome = ClassifyAttempt(Response(status), kNow);
    EXPECT_EQ(outcome.kind, OutcomeKind::kRetryable) << status;
    EXPECT_EQ(outcome.code_class, "1xx") << status;
    EXPECT_EQ(outcome.http_status, status);
    EXPECT_FALSE(GetPermanentReason(outcome.status).has_value()) << status;
    EXPECT_EQ(outcome.status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_FALSE(outcome.credential_rejected);
  }
}

TEST(DeliveryOutcomeTest, TransportFailuresAreRetryable) {
  DeliveryOutcome timeout = ClassifyAttempt(absl::DeadlineExceededError("curl 28"), kNow);
  EXPECT_EQ(timeout.kind, OutcomeKind::kRetryable);
  EXPECT_EQ(timeout.code_class, "timeout");
  EXPECT_EQ(timeout.http_status, 0);

  for (const absl::Status& status :
       {absl::UnavailableError("refused"), absl::FailedPreconditionError("TLS verify"),
        absl::CancelledError("shutdown"), absl::InternalError("other")}) {
    DeliveryOutcome outcome = ClassifyAttempt(status, kNow);
    EXPECT_EQ(outcome.kind, OutcomeKind::kRetryable) << status;
    EXPECT_EQ(outcome.code_class, "transport_error");
    EXPECT_EQ(outcome.status, status);
  }
}

TEST(DeliveryOutcomeTest, HonoursRetryAfterSecondsAndDate) {
  DeliveryOutcome seconds = ClassifyAttempt(Response(429, {{"retry-after", "120"}}), kNow);
  EXPECT_EQ(seconds.retry_after, absl::Seconds(120));
  DeliveryOutcome date = ClassifyAttempt(
      Response(503, {{"Retry-After", "Wed, 21 Oct 2015 07:29:30 GMT"}}), kNow);
  EXPECT_EQ(date.retry_after, absl::Seconds(90));
  DeliveryOutcome none = ClassifyAttempt(Response(503), kNow);
  EXPECT_EQ(none.retry_after, absl::nullopt);
  // Retry-After on a permanent answer is irrelevant.
  EXPECT_EQ(ClassifyAttempt(Response(400, {{"retry-after", "5"}}), kNow).retry_after,
            absl::nullopt);
}

TEST(DeliveryOutcomeTest, ParseRetryAfterEdgeCases) {
  EXPECT_EQ(ParseRetryAfter(" 0 ", kNow), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", kNow), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("-5", kNow), absl::nullopt);
  EXPECT_EQ(ParseRetryAfter("1.5", kNow), absl::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", kNow), absl::nullopt);
  EXPECT_EQ(ParseRetryAfter("", kNow), absl::nullopt);
}

TEST(DeliveryOutcomeTest, RetryAfterTooLargeToParseIsCappedLikeAFarDate) {
  // Beyond int64: still a valid delta-seconds, and asks for a wait longer than any budget.
  constexpr char kHugeSeconds[] = "99999999999999999999";
  EXPECT_EQ(ParseRetryAfter(kHugeSeconds, kNow), kMaxRetryAfter);
  EXPECT_EQ(ParseRetryAfter("9223372036854775807", kNow), kMaxRetryAfter);
  EXPECT_EQ(ParseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", kNow), kMaxRetryAfter);
  const absl::Duration kJustBelowCap = kMaxRetryAfter - absl::Seconds(1);
  EXPECT_EQ(ParseRetryAfter(std::to_string(absl::ToInt64Seconds(kJustBelowCap)), kNow), kJustBelowCap);
  DeliveryOutcome outcome = ClassifyAttempt(Response(503, {{"Retry-After", kHugeSeconds}}), kNow);
  EXPECT_EQ(outcome.retry_after, kMaxRetryAfter);
  // Digits followed by junk are still malformed.
  EXPECT_EQ(ParseRetryAfter("99999999999999999999x", kNow), absl::nullopt);
}

}  // namespace
}  // namespace schedsvc::dispatch
