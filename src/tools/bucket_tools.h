// `tools bucket ls` and `tools bucket inspect`: what is in a bucket, printed as Thanos v0.34
// prints it, so that scripts written for Thanos's output keep working.
#pragma once

#include <string>
#include <vector>

#include "block/block.h"

namespace strata::tools {

// One line per block with a readable meta.json: the ULID; with wide, Thanos's
// "<ULID> -- <from> - <until> Diff: <range>, Compaction: <level>, Downsample: <res>, Source: <s>"
// (times in RFC 3339, in the process's time zone, to the second).
std::string FormatBucketLs(const std::vector<block::BucketBlock>& blocks, bool wide);

// Thanos's inspect columns, in order.
const std::vector<std::string>& InspectColumns();

struct InspectOptions {
  std::vector<std::string> sort_by = {"FROM", "UNTIL"};  // column names, then by ULID
  std::string output = "table";                          // table, tsv or csv
};

// Thanos's inspect table of the blocks with a readable meta.json.
std::string FormatBucketInspect(const std::vector<block::BucketBlock>& blocks,
                                const InspectOptions& opts);

// What the tables leave out, for stderr: partial uploads and unreadable meta.json files, then
// the blocks and bytes per resolution and the storage cost at price_per_gib_month.
std::string SummarizeBucket(const std::vector<block::BucketBlock>& blocks,
                            double price_per_gib_month);

}  // namespace strata::tools
