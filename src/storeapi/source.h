// What a StoreAPI server serves: series with their chunks exactly as stored, label names and
// values, and the endpoint's time range and external label sets. Sidecars, store gateways and
// queriers each provide one; storeapi::StoreServer puts it on the wire.
// Thread-safety: implementations must allow concurrent calls.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/labels.h"
#include "base/matcher.h"
#include "base/status.h"
#include "tsdb/block.h"

namespace strata::storeapi {

// One chunk of a series, still encoded: XOR for float samples, Thanos's aggregate chunk
// (tsdb/aggr_chunk.h) for downsampled blocks.
struct RawChunk {
  int64_t min_time = 0;
  int64_t max_time = 0;
  uint8_t encoding = 1;   // the TSDB chunk encoding byte (1 = XOR, 0xff = aggregates)
  std::string_view data;  // valid until the callback returns
};

struct SourceInfo {
  std::vector<Labels> label_sets;  // external label sets (one per distinct set of blocks)
  int64_t min_time = 0;
  int64_t max_time = 0;
  // What kind of component answered Info (query, rule, sidecar, store, receive, debug); set by
  // StoreClient from the response, empty from local sources.
  std::string component_type;
  // Whether the endpoint honours SeriesQuery::without_labels (Info's
  // supports_without_replica_labels); every Strata source does.
  bool supports_without_labels = true;
};

using SeriesFn = std::function<Status(const Labels& labels, const std::vector<RawChunk>& chunks)>;
// Receives non-fatal problems met while answering (a block that could not be read while the
// others were served); the server sends each as a SeriesResponse warning.
using WarningFn = std::function<void(const std::string& warning)>;

// Which series a Series call wants, and how.
struct SeriesQuery {
  Matchers matchers;
  int64_t mint = 0;  // ms, inclusive
  int64_t maxt = 0;
  // Thanos's max_resolution_window: per time range the coarsest downsampled data up to this
  // resolution, finer blocks filling its gaps (0: raw data only). Sources without downsampled
  // data serve their raw series whatever it is.
  int64_t max_resolution_ms = 0;
  bool skip_chunks = false;
  // Thanos's without_replica_labels: labels of these names (external or not) are left out of
  // every series, and the series are ordered by what remains. Replicas of one series then come
  // out as one series whose chunks overlap in time, for the querier to deduplicate as it reads.
  std::vector<std::string> without_labels;
  // Thanos's shard_info: only the series of this shard (vertical query sharding).
  ShardInfo shard;
  // The caller's tenant (the thanos-tenant gRPC header), passed on by a querier; "" for none.
  std::string tenant;
};

class SeriesSource {
 public:
  virtual ~SeriesSource() = default;
  virtual SourceInfo Info() const = 0;
  // Calls fn for every series matching all matchers with data in [mint, maxt], in label order,
  // with its chunks overlapping the range in time order (none when skip_chunks).
  virtual Status Series(const SeriesQuery& q, const SeriesFn& fn, const WarningFn& warn) = 0;
  virtual Result<std::vector<std::string>> LabelNames(const Matchers& matchers, int64_t mint,
                                                      int64_t maxt) = 0;
  virtual Result<std::vector<std::string>> LabelValues(const std::string& name,
                                                       const Matchers& matchers, int64_t mint,
                                                       int64_t maxt) = 0;
};

// Decides a block's external-label matchers: false when one excludes the block (ext is its
// external label set); otherwise the matchers on other labels, for the block's index, go to rest.
bool MatchExternalLabels(const Labels& ext, const Matchers& matchers, Matchers* rest);

// `l` without the labels named in `names`.
Labels WithoutLabels(const Labels& l, const std::vector<std::string>& names);

// Serves local blocks. Each block's Thanos external labels (meta.json thanos.labels) are added to
// its series, and matchers on those labels select blocks, as Thanos's store gateway does.
// Tombstones are not applied to raw chunks (Thanos's components do not either).
std::unique_ptr<SeriesSource> NewBlocksSource(
    std::vector<std::shared_ptr<const tsdb::Block>> blocks);

}  // namespace strata::storeapi
