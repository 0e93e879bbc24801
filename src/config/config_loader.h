// Config loader: the one place where schedule-service's YAML file becomes a validated
// config::ServiceConfig (src/config/service_config.h). Used at start-up by schedule-service and by
// `schedctl check` / `schedctl pubsub apply`; every key is documented in docs/configuration.md.
//
// A file is refused with one error that names the file, the key and the reason, e.g.
//   config.yaml: backends.orders.retry.max_attempts: must be between 0 and 100, got 101
// Unknown and duplicate keys are errors, so a typo never silently falls back to a default.
// Relative credential file paths are resolved against the directory of the config file; the files
// must exist and be readable when the config is loaded (their contents are never read into errors).
//
// Stateless free functions; thread-safe.
#ifndef SCHEDSVC_CONFIG_CONFIG_LOADER_H_
#define SCHEDSVC_CONFIG_CONFIG_LOADER_H_

#include <string>

#include "absl/status/statusor.h"
#include "src/config/service_config.h"

namespace schedsvc::config {

// Reads and validates the YAML file at `path`. kNotFound / kPermissionDenied if the file cannot be
// read, kInvalidArgument naming the key and reason if its content is invalid. `path` is the FILE
// named in errors.
absl::StatusOr<ServiceConfig> LoadServiceConfig(const std::string& path);

// Parses and validates `yaml_text`. `display_name` is the FILE named in errors. Relative credential
// file paths are resolved against `base_dir` (empty: the current directory). kInvalidArgument on any
// problem.
absl::StatusOr<ServiceConfig> LoadServiceConfigFromString(const std::string& yaml_text,
                                                          const std::string& display_name,
                                                          const std::string& base_dir = "");

}  // namespace schedsvc::config

#endif  // SCHEDSVC_CONFIG_CONFIG_LOADER_H_
