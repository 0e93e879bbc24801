#include "src/scheduler/grpc/locations_grpc_service.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schedsvc::scheduler {
namespace {

namespace location = ::google::cloud::location;
using ::testing::ElementsAre;

// LocationsGrpcService on a real gRPC server on 127.0.0.1.
class LocationsGrpcServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service_ = std::make_unique<LocationsGrpcService>(std::vector<std::string>{"us-central1", "europe-west1", "x"},
                                                      nullptr);
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = location::Locations::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { server_->Shutdown(); }

  std::unique_ptr<LocationsGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<location::Locations::Stub> stub_;
};

TEST_F(LocationsGrpcServiceTest, ListsEveryLocationAcrossPages) {
  std::vector<std::string> ids;
  std::string token;
  for (int page = 0; page < 10; ++page) {
    grpc::ClientContext ctx;
    location::ListLocationsRequest req;
    req.set_name("projects/p");
    req.set_page_size(2);
    req.set_page_token(token);
    location::ListLocationsResponse resp;
    grpc::Status s = stub_->ListLocations(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_LE(resp.locations_size(), 2);
    for (const location::Location& l : resp.locations()) {
      EXPECT_EQ(l.name(), absl::StrCat("projects/p/locations/", l.location_id()));
      EXPECT_EQ(l.labels().at("cloud.googleapis.com/region"), l.location_id());
      ids.push_back(l.location_id());
    }
    token = resp.next_page_token();
    if (token.empty()) break;
  }
  EXPECT_THAT(ids, ElementsAre("us-central1", "europe-west1", "x"));
}

TEST_F(LocationsGrpcServiceTest, GetsAKnownLocationAndRejectsOthers) {
  grpc::ClientContext ctx;
  location::GetLocationRequest req;
  req.set_name("projects/p/locations/europe-west1");
  location::Location loc;
  ASSERT_TRUE(stub_->GetLocation(&ctx, req, &loc).ok());
  EXPECT_EQ(loc.location_id(), "europe-west1");

  grpc::ClientContext missing_ctx;
  req.set_name("projects/p/locations/mars-north1");
  grpc::Status s = stub_->GetLocation(&missing_ctx, req, &loc);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "Location \"mars-north1\" not found.");

  grpc::ClientContext bad_ctx;
  req.set_name("projects/p");
  EXPECT_EQ(stub_->GetLocation(&bad_ctx, req, &loc).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  grpc::ClientContext bad_token_ctx;
  location::ListLocationsRequest list;
  list.set_name("projects/p");
  list.set_page_token("nope");
  location::ListLocationsResponse resp;
  EXPECT_EQ(stub_->ListLocations(&bad_token_ctx, list, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace schedsvc::scheduler
