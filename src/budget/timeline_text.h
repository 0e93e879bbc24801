// Timeline text: renders a BudgetReport (time_budget.h) as the readable worst-case timeline that
// `schedctl check` prints, one block per backend with its verdict. Pure formatting; thread-safe.
#ifndef SCHEDSVC_BUDGET_TIMELINE_TEXT_H_
#define SCHEDSVC_BUDGET_TIMELINE_TEXT_H_

#include <string>

#include "src/budget/time_budget.h"

namespace schedsvc::budget {

// Attempts beyond this many are elided from the printed timeline (the figures still count them).
inline constexpr int kMaxPrintedAttempts = 6;

// Returns the multi-line text of `report`: service-wide warnings, then per backend the timeline of one
// delivery (offsets from receipt), its totals, and "verdict: OK" or "verdict: VIOLATION" with reasons.
std::string RenderTimeBudget(const BudgetReport& report);

}  // namespace schedsvc::budget

#endif  // SCHEDSVC_BUDGET_TIMELINE_TEXT_H_
