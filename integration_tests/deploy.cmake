# deploy/ checks: manifests, image, gcloud scripts, alert rules and dashboard against what the binaries
# really do. Label "unit" for the static checks, "integration" for the ones that run binaries/emulators.
add_library(schedsvc_deploy_testing STATIC ${CMAKE_CURRENT_SOURCE_DIR}/deploy_metric_names.cc
                                           ${CMAKE_CURRENT_SOURCE_DIR}/deploy_runtime_packages.cc
                                           ${CMAKE_CURRENT_SOURCE_DIR}/deploy_command.cc)
target_include_directories(schedsvc_deploy_testing PUBLIC ${PROJECT_SOURCE_DIR})
target_compile_options(schedsvc_deploy_testing PRIVATE ${SCHEDSVC_WARNINGS})
target_link_libraries(schedsvc_deploy_testing PUBLIC absl::status absl::statusor absl::strings
                      yaml-cpp nlohmann_json::nlohmann_json)

set(schedsvc_deploy_source_dir "SCHEDSVC_SOURCE_DIR=\"${PROJECT_SOURCE_DIR}\"")

schedsvc_test(deploy_metric_names_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/deploy_metric_names_test.cc
  DEPS schedsvc_deploy_testing schedsvc_testing)
target_compile_definitions(deploy_metric_names_test PRIVATE ${schedsvc_deploy_source_dir})

schedsvc_test(deploy_runtime_packages_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/deploy_runtime_packages_test.cc
  DEPS schedsvc_deploy_testing)
