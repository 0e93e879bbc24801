#include "src/scheduler/grpc/locations_grpc_service.h"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/scheduler/grpc/cloud_scheduler_grpc_service.h"
#include "src/scheduler/location_page.h"

namespace schedsvc::scheduler {
namespace {

namespace location = ::google::cloud::location;

constexpr char kRegionLabel[] = "cloud.googleapis.com/region";

void Fill(const std::string& project, const std::string& id, location::Location* out) {
  out->set_name(absl::StrCat("projects/", project, "/locations/", id));
  out->set_location_id(id);
  (*out->mutable_labels())[kRegionLabel] = id;
}

}  // namespace

LocationsGrpcService::LocationsGrpcService(std::vector<std::string> locations, BearerAuth* auth)
    : locations_(std::move(locations)), auth_(auth) {}

grpc::Status LocationsGrpcService::ListLocations(grpc::ServerContext* context,
                                                 const location::ListLocationsRequest* request,
                                                 location::ListLocationsResponse* response) {
  if (absl::Status s = CheckGrpcBearer(auth_, *context); !s.ok()) return ToGrpcStatus(s);
  const std::vector<std::string> parts = absl::StrSplit(request->name(), '/');
  if (parts.size() != 2 || parts[0] != "projects" || parts[1].empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("name must be formatted \"projects/<PROJECT_ID>\"."));
  }
  if (request->page_size() < 0) return ToGrpcStatus(absl::InvalidArgumentError("Invalid value for pageSize."));
  absl::StatusOr<LocationPage> page =
      PageOfLocations(locations_.size(), request->page_size(), request->page_token());
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (std::size_t i = page->begin; i < page->end; ++i) Fill(parts[1], locations_[i], response->add_locations());
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status LocationsGrpcService::GetLocation(grpc::ServerContext* context,
                                               const location::GetLocationRequest* request,
                                               location::Location* response) {
  if (absl::Status s = CheckGrpcBearer(auth_, *context); !s.ok()) return ToGrpcStatus(s);
  const std::vector<std::string> parts = absl::StrSplit(request->name(), '/');
  if (parts.size() != 4 || parts[0] != "projects" || parts[1].empty() || parts[2] != "locations" ||
      parts[3].empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        "name must be formatted \"projects/<PROJECT_ID>/locations/<LOCATION_ID>\"."));
  }
  if (std::find(locations_.begin(), locations_.end(), parts[3]) == locations_.end()) {
    return ToGrpcStatus(absl::NotFoundError(absl::StrCat("Location \"", parts[3], "\" not found.")));
  }
  Fill(parts[1], parts[3], response);
  return grpc::Status::OK;
}

}  // namespace schedsvc::scheduler
