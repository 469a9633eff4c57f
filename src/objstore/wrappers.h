// Bucket decorators: a key prefix (the `prefix:` of the objstore config) and Thanos's
// objstore metrics (thanos_objstore_bucket_operations_total and friends).
#pragma once

#include <memory>
#include <string>

#include "base/metrics.h"
#include "objstore/bucket.h"

namespace strata::objstore {

// Every name is prefixed with "prefix/"; listings return names without it.
std::unique_ptr<Bucket> WithPrefix(std::unique_ptr<Bucket> inner, std::string prefix);

// Counts operations, failures (not-found is not a failure, as in Thanos) and durations, labelled
// {bucket, operation}; records the time of the last successful upload.
std::unique_ptr<Bucket> WithMetrics(std::unique_ptr<Bucket> inner, Registry* registry);

}  // namespace strata::objstore
