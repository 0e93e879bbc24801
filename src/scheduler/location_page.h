// PageOfLocations: the paging rule of locations.list, shared by the REST and gRPC APIs. The configured
// locations are a fixed list; a page token is the index of the first location of the page.
#ifndef SCHEDSVC_SRC_SCHEDULER_LOCATION_PAGE_H_
#define SCHEDSVC_SRC_SCHEDULER_LOCATION_PAGE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace schedsvc::scheduler {

struct LocationPage {
  std::size_t begin = 0;        // index of the first location on the page
  std::size_t end = 0;          // one past the last
  std::string next_page_token;  // empty on the last page
};

// The page of a list of `count` locations that starts at `page_token` ("" = the start) and holds up to
// `page_size` entries (0 = all; callers reject negative sizes). InvalidArgument "Invalid page token."
// for a token that is not an index within the list.
absl::StatusOr<LocationPage> PageOfLocations(std::size_t count, int page_size, absl::string_view page_token);

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SRC_SCHEDULER_LOCATION_PAGE_H_
