#include "src/dispatch/recent_deliveries.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "src/common/credential_redaction.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"

namespace schedsvc::dispatch {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr std::size_t kCapacity = 4;
constexpr absl::Duration kStep = absl::Seconds(1);
constexpr absl::Duration kLatency = absl::Milliseconds(12);
constexpr int kStatusOk = 200;

DeliveryFilter Filter(std::optional<std::string> backend, std::optional<FinalOutcome> outcome = std::nullopt,
                      std::optional<std::size_t> limit = std::nullopt) {
  DeliveryFilter f;
  f.backend = std::move(backend);
  f.outcome = outcome;
  f.limit = limit;
  return f;
}

class RecentDeliveriesTest : public ::testing::Test {
 protected:
  // A record for message "m-<n>" decided now; the clock then moves on.
  DeliveryRecord Record(int n, absl::string_view backend = "orders",
                        FinalOutcome outcome = FinalOutcome::kDelivered) {
    DeliveryRecord r = MakeDeliveryRecord(clock_.Now(), absl::StrCat("m-", n), clock_.Now() - kStep, 1,
                                          {{"path", "/jobs/x"}}, backend, 1, kStatusOk, kLatency, outcome, "", "");
    clock_.AdvanceTime(kStep);
    return r;
  }
  static std::vector<std::string> Ids(const std::vector<DeliveryRecord>& records) {
    std::vector<std::string> ids;
    for (const auto& r : records) ids.push_back(r.message_id);
    return ids;
  }
  testing::FakeClock clock_;
};

TEST_F(RecentDeliveriesTest, EmptyRingHasNoRecords) {
  RecentDeliveries ring(kCapacity);
  EXPECT_EQ(ring.capacity(), kCapacity);
  EXPECT_THAT(ring.Snapshot(), IsEmpty());
}

TEST_F(RecentDeliveriesTest, NewestFirstBeforeTheRingIsFull) {
  RecentDeliveries ring(kCapacity);
  for (int i = 1; i <= 3; ++i) ring.Add(Record(i));
  EXPECT_THAT(Ids(ring.Snapshot()), ElementsAre("m-3", "m-2", "m-1"));
}

TEST_F(RecentDeliveriesTest, KeepsOnlyTheNewestCapacityRecords) {
  RecentDeliveries ring(kCapacity);
  for (int i = 1; i <= 10; ++i) ring.Add(Record(i));
  EXPECT_THAT(Ids(ring.Snapshot()), ElementsAre("m-10", "m-9", "m-8", "m-7"));
}

TEST_F(RecentDeliveriesTest, CapacityOneKeepsTheLast) {
  RecentDeliveries ring(1);
  ring.Add(Record(1));
  ring.Add(Record(2));
  EXPECT_THAT(Ids(ring.Snapshot()), ElementsAre("m-2"));
}

TEST_F(RecentDeliveriesTest, KeepsTheFieldsAsGiven) {
  RecentDeliveries ring(kCapacity);
  const absl::Time decided = clock_.Now();
  ring.Add(MakeDeliveryRecord(decided, "m-1", decided - kStep, 3, {{"path", "/jobs/x"}}, "orders", 2, 503, kLatency,
                              FinalOutcome::kHandedBack, "retry_budget_spent", "HTTP 503"));
  auto records = ring.Snapshot();
  ASSERT_EQ(records.size(), 1u);
  const DeliveryRecord& r = records[0];
  EXPECT_EQ(r.time, decided);
  EXPECT_EQ(r.publish_time, decided - kStep);
  EXPECT_EQ(r.delivery_attempt, 3);
  EXPECT_THAT(r.attributes, ElementsAre(std::pair<const std::string, std::string>("path", "/jobs/x")));
  EXPECT_EQ(r.backend, "orders");
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.http_status, 503);
  EXPECT_EQ(r.latency, kLatency);
  EXPECT_EQ(r.outcome, FinalOutcome::kHandedBack);
  EXPECT_EQ(r.reason_code, "retry_budget_spent");
  EXPECT_EQ(r.reason, "HTTP 503");
  EXPECT_FALSE(r.truncated);
}

TEST_F(RecentDeliveriesTest, FiltersByBackendOutcomeAndLimit) {
  RecentDeliveries ring(kCapacity * 2);
  ring.Add(Record(1, "orders", FinalOutcome::kDelivered));
  ring.Add(Record(2, "billing", FinalOutcome::kDelivered));
  ring.Add(Record(3, "orders", FinalOutcome::kDeadLettered));
  ring.Add(Record(4, "orders", FinalOutcome::kDelivered));
  ring.Add(Record(5, "billing", FinalOutcome::kHandedBack));

  EXPECT_THAT(Ids(ring.Snapshot(Filter("orders"))), ElementsAre("m-4", "m-3", "m-1"));
  EXPECT_THAT(Ids(ring.Snapshot(Filter(std::nullopt, FinalOutcome::kDelivered))), ElementsAre("m-4", "m-2", "m-1"));
  EXPECT_THAT(Ids(ring.Snapshot(Filter("orders", FinalOutcome::kDelivered))),
              ElementsAre("m-4", "m-1"));
  EXPECT_THAT(Ids(ring.Snapshot(Filter(std::nullopt, std::nullopt, 2))), ElementsAre("m-5", "m-4"));
  // The limit counts matching records: the newest that match.
  EXPECT_THAT(Ids(ring.Snapshot(Filter("orders", std::nullopt, 2))), ElementsAre("m-4", "m-3"));
  EXPECT_THAT(ring.Snapshot(Filter(std::nullopt, std::nullopt, 0)), IsEmpty());
  EXPECT_THAT(ring.Snapshot(Filter("nope")), IsEmpty());
  EXPECT_THAT(ring.Snapshot(Filter(std::nullopt, FinalOutcome::kLost)), IsEmpty());
}

TEST_F(RecentDeliveriesTest, OutcomeNamesRoundTrip) {
  for (FinalOutcome outcome : kAllFinalOutcomes) {
    EXPECT_EQ(ParseFinalOutcome(FinalOutcomeName(outcome)), outcome);
  }
  EXPECT_EQ(FinalOutcomeName(FinalOutcome::kHandedBack), "handed_back");
  EXPECT_EQ(ParseFinalOutcome("retried"), std::nullopt);
  EXPECT_EQ(ParseFinalOutcome(""), std::nullopt);
}

TEST_F(RecentDeliveriesTest, CapsAttributeCountAndValueSize) {
  std::map<std::string, std::string> many;
  for (std::size_t i = 0; i < kMaxRecordAttributes * 2; ++i) many[absl::StrCat("a", 100 + i)] = "v";
  DeliveryRecord r = MakeDeliveryRecord(clock_.Now(), "m", clock_.Now(), 0, many, "orders", 1, kStatusOk, kLatency,
                                        FinalOutcome::kDelivered, "", "");
  EXPECT_EQ(r.attributes.size(), kMaxRecordAttributes);
  EXPECT_TRUE(r.truncated);

  const std::string long_value(kMaxRecordAttributeValueBytes * 4, 'x');
  r = MakeDeliveryRecord(clock_.Now(), "m", clock_.Now(), 0, {{"path", long_value}}, "orders", 1, kStatusOk,
                         kLatency, FinalOutcome::kDelivered, "", "");
  EXPECT_EQ(r.attributes["path"].size(), kMaxRecordAttributeValueBytes);
  EXPECT_TRUE(r.truncated);
}

TEST_F(RecentDeliveriesTest, CapsTheAttributeBytesOfOneRecord) {
  std::map<std::string, std::string> big;
  const std::string value(kMaxRecordAttributeValueBytes, 'v');
  for (std::size_t i = 0; i < kMaxRecordAttributes; ++i) big[absl::StrCat("k", 100 + i)] = value;
  DeliveryRecord r = MakeDeliveryRecord(clock_.Now(), "m", clock_.Now(), 0, big, "orders", 1, kStatusOk, kLatency,
                                        FinalOutcome::kDelivered, "", "");
  std::size_t bytes = 0;
  for (const auto& [k, v] : r.attributes) bytes += k.size() + v.size();
  EXPECT_LE(bytes, kMaxRecordAttributeBytes);
  EXPECT_FALSE(r.attributes.empty());
  EXPECT_TRUE(r.truncated);
}

TEST_F(RecentDeliveriesTest, CutsAtAUtf8Boundary) {
  // Two-byte characters: a cut at an odd byte count would split one.
  std::string value;
  while (value.size() < kMaxRecordAttributeValueBytes + 1) value += "\xC3\xA9";  // é
  DeliveryRecord r = MakeDeliveryRecord(clock_.Now(), "m", clock_.Now(), 0, {{"note", value}}, "orders", 1,
                                        kStatusOk, kLatency, FinalOutcome::kDelivered, "", "");
  const std::string& kept = r.attributes["note"];
  EXPECT_LE(kept.size(), kMaxRecordAttributeValueBytes);
  EXPECT_EQ(kept.size() % 2, 0u);
}

TEST_F(RecentDeliveriesTest, CutsLongReasonsAndIds) {
  const std::string long_text(kMaxRecordReasonBytes * 3, 'r');
  DeliveryRecord r = MakeDeliveryRecord(clock_.Now(), long_text, clock_.Now(), 0, {}, long_text, 1, 0, kLatency,
                                        FinalOutcome::kDeadLettered, long_text, long_text);
  EXPECT_EQ(r.message_id.size(), kMaxRecordIdBytes);
  EXPECT_EQ(r.backend.size(), kMaxRecordIdBytes);
  EXPECT_EQ(r.reason_code.size(), kMaxRecordIdBytes);
  EXPECT_EQ(r.reason.size(), kMaxRecordReasonBytes);
  EXPECT_TRUE(r.truncated);
}

TEST_F(RecentDeliveriesTest, RedactsCredentialLikeAttributes) {
  constexpr char kSecret[] = "s3cr3t-value";
  DeliveryRecord r = MakeDeliveryRecord(
      clock_.Now(), "m", clock_.Now(), 0,
      {{"path", "/jobs/x"}, {"Authorization", kSecret}, {"api_token", kSecret}, {"DB_PASSWORD", kSecret},
       {"X-Api-Key", kSecret}, {"client_secret", kSecret}},
      "orders", 1, kStatusOk, kLatency, FinalOutcome::kDelivered, "", "");
  EXPECT_EQ(r.attributes["path"], "/jobs/x");
  for (const char* key : {"Authorization", "api_token", "DB_PASSWORD", "X-Api-Key", "client_secret"}) {
    EXPECT_EQ(r.attributes[key], kRedactedValue) << key;
  }
  EXPECT_FALSE(r.truncated);
}

// Attribute values are free text a job author writes: a URL with user info or a credential in its query
// string loses the credential and keeps the rest readable.
TEST_F(RecentDeliveriesTest, RedactsCredentialsInsideAttributeValues) {
  constexpr char kPassword[] = "pa55-Wq7z";
  constexpr char kToken[] = "tok-Jr4k";
  const std::map<std::string, std::string> attributes = {
      {"url", absl::StrCat("https://user:", kPassword, "@hooks.example/x")},
      {"path", absl::StrCat("/hook?token=", kToken, "&x=1")},
      {"target", absl::StrCat("https://h.example/x?page=2&API_KEY=", kToken, "#top")},
      {"signed", absl::StrCat("/o?X-Goog-Signature=", kToken, ";sig=", kToken)},
      {"note", "mail alice@example.com about /jobs/x?page=2"},
  };
  DeliveryRecord r = MakeDeliveryRecord(clock_.Now(), "m", clock_.Now(), 0, attributes, "orders", 1, kStatusOk,
                                        kLatency, FinalOutcome::kDelivered, "", "");
  EXPECT_EQ(r.attributes["url"], "https://***@hooks.example/x");
  EXPECT_EQ(r.attributes["path"], absl::StrCat("/hook?token=", kRedactedValue, "&x=1"));
  EXPECT_EQ(r.attributes["target"], absl::StrCat("https://h.example/x?page=2&API_KEY=", kRedactedValue, "#top"));
  EXPECT_EQ(r.attributes["signed"], absl::StrCat("/o?X-Goog-Signature=", kRedactedValue, ";sig=", kRedactedValue));
  EXPECT_EQ(r.attributes["note"], "mail alice@example.com about /jobs/x?page=2");
  EXPECT_FALSE(r.truncated);
}

// The reason quotes what failed (a URL, an error text): it is shown next to the attributes, so it hides the
// same credentials.
TEST_F(RecentDeliveriesTest, RedactsCredentialsInTheReason) {
  DeliveryRecord r = MakeDeliveryRecord(clock_.Now(), "m", clock_.Now(), 0, {}, "orders", 1, 400, kLatency,
                                        FinalOutcome::kDeadLettered, "http_4xx",
                                        "HTTP 400 from https://u:pw@h.example/x?api_key=k3y");
  EXPECT_EQ(r.reason, absl::StrCat("HTTP 400 from https://***@h.example/x?api_key=", kRedactedValue));
}

// A value is scrubbed before it is cut: a cut must never leave the start of a password whose end (the '@')
// it dropped.
TEST_F(RecentDeliveriesTest, RedactsUserInfoBeforeCuttingALongValue) {
  const std::string password(kMaxRecordAttributeValueBytes * 2, 'p');
  DeliveryRecord r =
      MakeDeliveryRecord(clock_.Now(), "m", clock_.Now(), 0,
                         {{"url", absl::StrCat("https://user:", password, "@hooks.example/x")}}, "orders", 1,
                         kStatusOk, kLatency, FinalOutcome::kDelivered, "", "");
  EXPECT_EQ(r.attributes["url"], "https://***@hooks.example/x");
  EXPECT_EQ(r.attributes["url"].find("pppp"), std::string::npos);
}

// Writers and readers at once: every snapshot is bounded and newest-first per writer (run under TSan to
// check the locking; the annotations are checked by clang's -Wthread-safety).
TEST_F(RecentDeliveriesTest, ConcurrentAddAndSnapshotStayBounded) {
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 500;
  constexpr int kSnapshots = 200;
  RecentDeliveries ring(kCapacity * 4);
  std::atomic<bool> bounded{true};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&ring, w, now = clock_.Now()] {
      for (int i = 0; i < kPerWriter; ++i) {
        ring.Add(MakeDeliveryRecord(now, absl::StrCat(w, "-", i), now, i, {{"path", "/p"}},
                                    absl::StrCat("b", w), 1, kStatusOk, kLatency, FinalOutcome::kDelivered, "", ""));
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < kSnapshots; ++i) {
      if (ring.Snapshot().size() > ring.capacity()) bounded = false;
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_TRUE(bounded);
  auto records = ring.Snapshot();
  EXPECT_EQ(records.size(), ring.capacity());
  // Per writer, newer records (higher delivery_attempt, used as a sequence number here) come first.
  for (int w = 0; w < kWriters; ++w) {
    int last = kPerWriter;
    for (const auto& r : ring.Snapshot(Filter(absl::StrCat("b", w)))) {
      EXPECT_LT(r.delivery_attempt, last);
      last = r.delivery_attempt;
    }
  }
}

}  // namespace
}  // namespace schedsvc::dispatch
