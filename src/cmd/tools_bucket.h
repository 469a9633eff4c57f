// The `strata tools bucket` subcommands, registered in parts by the files that implement them.
// All share one ObjstoreFlags: as in Thanos, --objstore.config(-file) may be given before or
// after the subcommand's name.
#pragma once

#include <memory>

#include "cmd/command.h"

namespace CLI {
class App;
}

namespace strata::cmd {

// retention, cleanup, downsample (tools_bucket_compact.cc).
void RegisterBucketCompactTools(CLI::App& bucket, std::shared_ptr<ObjstoreFlags> objstore,
                                int* exit_code);
// verify (tools_bucket_verify.cc).
void RegisterVerify(CLI::App& bucket, std::shared_ptr<ObjstoreFlags> objstore, int* exit_code);
// rewrite (tools_bucket_rewrite.cc).
void RegisterRewrite(CLI::App& bucket, std::shared_ptr<ObjstoreFlags> objstore, int* exit_code);
// replicate (tools_bucket_replicate.cc).
void RegisterReplicate(CLI::App& bucket, std::shared_ptr<ObjstoreFlags> objstore, int* exit_code);

}  // namespace strata::cmd
