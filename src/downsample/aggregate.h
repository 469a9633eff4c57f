// Downsampling of one series into Thanos's aggregate chunks (count, sum, min, max, counter per
// window), with Thanos's window alignment and chunk sizing so blocks match the ones Thanos
// writes: a window of resolution r ending at t - t%r + r - 1 holds every sample of [start, end];
// about 140 windows per chunk; chunk boundaries always fall on window boundaries.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "storage/series.h"

namespace strata::downsample {

// Thanos's resolutions (ms) and the block ranges from which each is made.
constexpr int64_t kResRaw = 0;
constexpr int64_t kRes5m = 5 * 60 * 1000;
constexpr int64_t kRes1h = 60 * 60 * 1000;
constexpr int64_t kMinRangeFor5m = 40 * kRes1h;       // raw blocks of at least 40h
constexpr int64_t kMinRangeFor1h = 10 * 24 * kRes1h;  // 5m blocks of at least 10 days

struct Sample {
  int64_t t;
  double v;
};

// An encoded aggregate chunk (tsdb::EncodeAggrChunk) and the range of its windows.
struct AggrChunk {
  int64_t min_time = 0;
  int64_t max_time = 0;
  std::string data;
};

// Appends an iterator's samples to out, leaving out NaNs (stale markers) and samples that go
// back in time.
Status AppendSamples(storage::SampleIterator& it, std::vector<Sample>* out);

// Raw samples of one series in time order (NaNs, i.e. stale markers, are left out).
std::vector<AggrChunk> DownsampleRaw(std::span<const Sample> samples, int64_t resolution);

// Aggregate chunks of one series at in_resolution (in time order, [mint, maxt] their range)
// into out_resolution. Chunks are combined whole, never split, so each counter chunk keeps the
// true first and last raw values of the data it covers. Corrupt input is an error.
Result<std::vector<AggrChunk>> DownsampleAggr(const std::vector<std::string_view>& chunks,
                                              int64_t mint, int64_t maxt, int64_t in_resolution,
                                              int64_t out_resolution);

}  // namespace strata::downsample
