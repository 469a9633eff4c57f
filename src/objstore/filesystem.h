// FILESYSTEM bucket (`type: FILESYSTEM, config: {directory: DIR}`): objects are files under DIR.
// Uploads write a temp file, fsync and rename, so readers never see a partial object.
#pragma once

#include <memory>
#include <string>

#include "objstore/bucket.h"

namespace strata::objstore {

Result<std::unique_ptr<Bucket>> NewFilesystemBucket(const std::string& directory);

}  // namespace strata::objstore
