// Thanos's object storage configuration (--objstore.config / --objstore.config-file):
//   type: S3 | FILESYSTEM     (case-insensitive; GCS, AZURE, SWIFT are not supported yet)
//   config: {...}             provider keys with Thanos's names; unknown keys are an error
//   prefix: optional/prefix
// ${VAR} references are expanded from the environment first; an unset variable is an error.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/metrics.h"
#include "base/status.h"
#include "objstore/bucket.h"
#include "objstore/s3.h"

namespace strata::objstore {

Result<std::string> ExpandEnv(std::string_view text);

// Builds the bucket described by the YAML, with the prefix applied and, when metrics is not
// null, Thanos's objstore metrics registered there.
Result<std::unique_ptr<Bucket>> NewBucketFromConfig(std::string_view yaml, Registry* metrics);

// The S3 section alone (exposed for tests and tools).
Result<S3Config> ParseS3Config(std::string_view yaml_config_section);

// Resolves the pair of flags: exactly one of file or inline content must be given.
Result<std::string> ReadObjstoreConfigFlags(const std::string& file, const std::string& content);

}  // namespace strata::objstore
