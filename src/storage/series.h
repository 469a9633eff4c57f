// The query-side interfaces every data source implements (local blocks, remote StoreAPI,
// deduplicating merges), modelled on Prometheus's storage.Querier / SeriesSet / Iterator.
// A SeriesSet yields series in label order; each series gives a fresh sample iterator.
// Thread-safety: a SeriesSet and its iterators are used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/labels.h"
#include "base/matcher.h"
#include "base/status.h"

namespace strata::storage {

class SampleIterator {
 public:
  virtual ~SampleIterator() = default;
  virtual bool Next() = 0;
  // Advances to the first sample with timestamp >= t; stays put if already there.
  virtual bool Seek(int64_t t) = 0;
  virtual int64_t t() const = 0;
  virtual double v() const = 0;
  // Why iteration stopped early (OK at a normal end).
  virtual Status status() const = 0;
  // Non-fatal problems the source reported (e.g. a store's block that could not be read).
  virtual std::vector<std::string> Warnings() const { return {}; }
  // On a fresh iterator: appends every sample with mint <= t <= maxt and returns status().
  // Sources that can decode whole chunks into arrays override it (the engine's way to load
  // a series); the default seeks and steps.
  virtual Status AppendSamples(int64_t mint, int64_t maxt, std::vector<int64_t>* ts,
                               std::vector<double>* vs);
};

class Series {
 public:
  virtual ~Series() = default;
  virtual const Labels& labels() const = 0;
  virtual std::unique_ptr<SampleIterator> Iterator() const = 0;
  // True when each sample's value is the number of raw samples it stands for (the count
  // aggregate of downsampled data): count_over_time then adds the values up.
  virtual bool counts_samples() const { return false; }
};

class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  virtual bool Next() = 0;
  // Valid after Next() returned true, until the following Next().
  virtual std::shared_ptr<const Series> At() const = 0;
  virtual Status status() const = 0;
  // Non-fatal problems the source reported (e.g. a store's block that could not be read).
  virtual std::vector<std::string> Warnings() const { return {}; }
  // Asks a set that another thread is reading to stop soon (a remote call is cancelled, so a
  // Next() blocked on it returns); the only method callable from another thread.
  virtual void Cancel() {}
};

// What the caller will do with the data, so a source can prune or pick a resolution.
struct SelectHints {
  int64_t start = 0;  // ms, inclusive
  int64_t end = 0;    // ms, inclusive
  int64_t step = 0;
  int64_t range = 0;
  std::string func;
  // Thanos's max_source_resolution: the coarsest downsampled data the caller accepts (ms);
  // 0 reads raw data only.
  int64_t max_resolution_ms = 0;
  // Unix ms after which remote calls for this query give up (the query's timeout); 0: none.
  int64_t deadline_ms = 0;
  // Labels to leave out of every series, which then comes in the order of what remains (Thanos's
  // without_replica_labels, for streaming deduplication). Sources that merge replicas into one
  // series return each non-overlapping run of its chunks as a series of its own, one after the
  // other, so every replica reaches the deduplication separately.
  std::vector<std::string> without_labels;
  // Vertical sharding (a query-frontend's shard_info): only this shard's series.
  ShardInfo shard;
  // The tenant the query is for (Thanos's thanos-tenant gRPC header to remote stores); "" for
  // none.
  std::string tenant;
};

class Querier {
 public:
  virtual ~Querier() = default;
  virtual std::unique_ptr<SeriesSet> Select(const SelectHints& hints, const Matchers& matchers) = 0;
};

// A SeriesSet over a vector (for tests and small results); also the set that reports an error.
std::unique_ptr<SeriesSet> VectorSeriesSet(std::vector<std::shared_ptr<const Series>> series,
                                           std::vector<std::string> warnings = {});
std::unique_ptr<SeriesSet> ErrorSeriesSet(Status status);

}  // namespace strata::storage
