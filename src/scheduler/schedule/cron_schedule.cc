#include "src/scheduler/schedule/cron_schedule.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/scheduler/schedule/english_schedule.h"

namespace schedsvc::scheduler {
namespace {

// Type URL of the payload that carries the specific reason behind kInvalidMessage.
constexpr absl::string_view kDetailPayloadUrl = "type.schedsvc.dev/scheduler.ScheduleErrorDetail";
// Longest tz database name we look up; real ones are under 40 characters.
constexpr std::size_t kMaxTimeZoneNameLength = 64;

absl::Status InvalidWithDetail(absl::string_view detail) {
  absl::Status status = absl::InvalidArgumentError(CronSchedule::kInvalidMessage);
  status.SetPayload(kDetailPayloadUrl, absl::Cord(detail));
  return status;
}

// Only plain tz database names reach absl::LoadTimeZone: it would also accept "localtime" (the host's zone)
// and read files by path, neither of which a job's timeZone should reach.
bool IsPlausibleZoneName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxTimeZoneNameLength) return false;
  if (name == "localtime" || name.front() == '/' || absl::StrContains(name, "..")) return false;
  for (char ch : name) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                    ch == '/' || ch == '_' || ch == '-' || ch == '+';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<CronSchedule> CronSchedule::Parse(absl::string_view schedule, absl::string_view time_zone) {
  absl::StatusOr<CronExpression> expression = LooksLikeEnglishSchedule(schedule)
                                                  ? ParseEnglishSchedule(schedule)
                                                  : CronExpression::Parse(schedule);
  if (!expression.ok()) return InvalidWithDetail(expression.status().message());
  absl::TimeZone zone = absl::UTCTimeZone();
  if (!time_zone.empty()) {
    if (!IsPlausibleZoneName(time_zone) || !absl::LoadTimeZone(std::string(time_zone), &zone)) {
      return InvalidWithDetail(absl::StrCat("unknown time zone \"", time_zone, "\""));
    }
  }
  return CronSchedule(std::string(schedule), std::string(time_zone), *std::move(expression), zone);
}

std::string CronSchedule::ErrorDetail(const absl::Status& status) {
  absl::optional<absl::Cord> detail = status.GetPayload(kDetailPayloadUrl);
  return detail.has_value() ? std::string(*detail) : std::string();
}

absl::Time CronSchedule::NextAfter(absl::Time after) const {
  if (after == absl::InfiniteFuture()) return absl::InfiniteFuture();
  // Local minutes before the one containing `after` all map to instants <= `after` (the map is
  // non-decreasing), so the scan can start there. Candidates whose instant is not yet past `after` are those
  // in the second pass of a repeated span, or gap minutes collapsed onto a transition already reached; at
  // most one repeated span's worth of them precede the answer.
  absl::CivilMinute candidate(zone_.At(after).cs);
  while (true) {
    const absl::CivilMinute match = expression_.NextMatch(candidate);
    if (match == absl::CivilMinute::max()) return absl::InfiniteFuture();
    const absl::Time fire = FireInstant(match);
    if (fire > after) return fire;
    candidate = match + 1;
  }
}

absl::Time CronSchedule::LastAtOrBefore(absl::Time at) const {
  if (at == absl::InfiniteFuture() || at == absl::InfinitePast()) return at;
  // Find a local minute `bound` whose fire instant is past `at`; every later minute's is too (the map is
  // non-decreasing). Usually that is the minute after the one containing `at`; inside the second pass of a
  // repeated span the local clock lags, so probe forward in doubling steps (a few probes for any real
  // shift).
  const absl::CivilMinute local(zone_.At(at).cs);
  absl::civil_diff_t step = 1;
  absl::CivilMinute bound = local + step;
  while (FireInstant(bound) <= at) {
    step *= 2;
    bound = local + step;
  }
  absl::CivilMinute match = expression_.PrevMatch(bound - 1);
  while (match != absl::CivilMinute::min()) {
    const absl::Time fire = FireInstant(match);
    if (fire <= at) return fire;
    match = expression_.PrevMatch(match - 1);
  }
  return absl::InfinitePast();
}

absl::Time CronSchedule::FireInstant(absl::CivilMinute m) const {
  const absl::TimeZone::TimeInfo info = zone_.At(m);
  return info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
}

}  // namespace schedsvc::scheduler
