// LocationsGrpcService: google.cloud.location.Locations over gRPC (ListLocations with paging, GetLocation)
// for the configured location ids, answering what the REST routes GET /v1/projects/P/locations[/L] answer:
// name "projects/P/locations/L", location_id L, label "cloud.googleapis.com/region": L. Bearer-token
// checks as CloudSchedulerGrpcService. Immutable after construction, so thread-safe.
#ifndef SCHEDSVC_SCHEDULER_GRPC_LOCATIONS_GRPC_SERVICE_H_
#define SCHEDSVC_SCHEDULER_GRPC_LOCATIONS_GRPC_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "google/cloud/location/locations.grpc.pb.h"
#include "src/scheduler/rest/bearer_auth.h"

namespace schedsvc::scheduler {

class LocationsGrpcService final : public google::cloud::location::Locations::Service {
 public:
  // `locations` are the ids reported, in order (JobsHandlerOptions::locations). `auth` as for
  // CloudSchedulerGrpcService: null for none, else it must outlive the server.
  LocationsGrpcService(std::vector<std::string> locations, BearerAuth* auth);

  grpc::Status ListLocations(grpc::ServerContext* context,
                             const google::cloud::location::ListLocationsRequest* request,
                             google::cloud::location::ListLocationsResponse* response) override;
  grpc::Status GetLocation(grpc::ServerContext* context, const google::cloud::location::GetLocationRequest* request,
                           google::cloud::location::Location* response) override;

 private:
  const std::vector<std::string> locations_;
  BearerAuth* const auth_;
};

}  // namespace schedsvc::scheduler

#endif  // SCHEDSVC_SCHEDULER_GRPC_LOCATIONS_GRPC_SERVICE_H_
