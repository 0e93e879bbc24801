#include "src/scheduler/location_page.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace schedsvc::scheduler {

absl::StatusOr<LocationPage> PageOfLocations(std::size_t count, int page_size, absl::string_view page_token) {
  LocationPage page;
  if (!page_token.empty() && (!absl::SimpleAtoi(page_token, &page.begin) || page.begin > count)) {
    return absl::InvalidArgumentError("Invalid page token.");
  }
  page.end = count;
  if (page_size > 0) page.end = std::min(count, page.begin + static_cast<std::size_t>(page_size));
  if (page.end < count) page.next_page_token = absl::StrCat(page.end);
  return page;
}

}  // namespace schedsvc::scheduler
