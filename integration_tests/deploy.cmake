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
  DEPS schedsvc_deploy_testing schedsvc_testing schedsvc_metrics)
target_compile_definitions(deploy_metric_names_test PRIVATE ${schedsvc_deploy_source_dir})

schedsvc_test(deploy_runtime_packages_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/deploy_runtime_packages_test.cc
  DEPS schedsvc_deploy_testing)

# Needs kubectl (shipped with google-cloud-cli, like gcloud) for `kubectl kustomize`.
schedsvc_test(deploy_manifests_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/deploy_manifests_test.cc
  DEPS schedsvc_deploy_testing schedsvc_config schedsvc_testing)
target_compile_definitions(deploy_manifests_test PRIVATE ${schedsvc_deploy_source_dir})

add_test(NAME deploy_yamllint
         COMMAND yamllint --strict -c ${PROJECT_SOURCE_DIR}/.yamllint ${PROJECT_SOURCE_DIR}/deploy
                 ${PROJECT_SOURCE_DIR}/.yamllint ${CMAKE_CURRENT_SOURCE_DIR}/deploy_alerts_test.yaml)
set_tests_properties(deploy_yamllint PROPERTIES LABELS unit TIMEOUT 60)

# The alert rules' logic, with Debian's promtool (package prometheus, from scripts/install-deps.sh; the
# tests fail where it is missing): the rule file loads, and deploy_alerts_test.yaml's series make each
# seed alert fire on the first sign of trouble and no rule fire on healthy input.
add_test(NAME deploy_alert_rules_check
         COMMAND promtool check rules ${PROJECT_SOURCE_DIR}/deploy/monitoring/alerts.yaml)
add_test(NAME deploy_alert_rules_test
         COMMAND promtool test rules ${CMAKE_CURRENT_SOURCE_DIR}/deploy_alerts_test.yaml)
set_tests_properties(deploy_alert_rules_check deploy_alert_rules_test PROPERTIES LABELS unit TIMEOUT 60)

# Fails until schedule-service, cloud-scheduler-emulator and schedctl are built in the same tree.
schedsvc_test(deploy_runtime_libs_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/deploy_runtime_libs_test.cc
  DEPS schedsvc_deploy_testing schedsvc_testing
  INTEGRATION TIMEOUT 300)
target_compile_definitions(deploy_runtime_libs_test PRIVATE ${schedsvc_deploy_source_dir})

# Runs deploy/gcp/setup.sh against the Pub/Sub emulator and cloud-scheduler-emulator (from this build
# tree; the scheduler case fails until it is built).
schedsvc_test(deploy_gcp_scripts_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/deploy_gcp_scripts_test.cc
  DEPS schedsvc_deploy_testing schedsvc_testing
  INTEGRATION TIMEOUT 420)
target_compile_definitions(deploy_gcp_scripts_test PRIVATE ${schedsvc_deploy_source_dir})

# Scrapes a running schedule-service (from this build tree; fails until it is built).
schedsvc_test(deploy_metrics_scrape_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/deploy_metrics_scrape_test.cc
  DEPS schedsvc_deploy_testing schedsvc_testing schedsvc_prometheus_text PkgConfig::HTTPLIB
  INTEGRATION TIMEOUT 300)
target_compile_definitions(deploy_metrics_scrape_test PRIVATE ${schedsvc_deploy_source_dir})
