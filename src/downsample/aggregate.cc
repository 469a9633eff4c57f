#include "downsample/aggregate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>

#include "downsample/iterators.h"
#include "tsdb/aggr_chunk.h"
#include "tsdb/xor_chunk.h"

namespace strata::downsample {
namespace {

using tsdb::AggrType;

// The last millisecond of t's window; saturates instead of overflowing on absurd timestamps
// (damaged data).
int64_t WindowEnd(int64_t t, int64_t r) {
  int64_t end;
  if (__builtin_add_overflow(t - (t % r), r - 1, &end)) return std::numeric_limits<int64_t>::max();
  return end;
}

// How many chunks a series of `count` samples at in_res over [mint, maxt] becomes at out_res:
// enough for about 140 windows each (Thanos's heuristic), given how densely the range is filled.
size_t TargetChunkCount(int64_t mint, int64_t maxt, int64_t in_res, int64_t out_res, size_t count) {
  const double span = std::max(0.0, static_cast<double>(maxt) - static_cast<double>(mint));
  const double max_windows = std::floor(span / static_cast<double>(out_res));
  double fullness = 1;
  if (span > 0)
    fullness = std::min(1.0, static_cast<double>(count) / (span / static_cast<double>(in_res)));
  // Never more windows than samples, so damaged time ranges cannot ask for absurd counts.
  const double expected = std::min(max_windows * fullness, static_cast<double>(count)) + 1;
  // The smallest x with expected / x <= 140 in integer division.
  return static_cast<size_t>(std::floor(expected)) / 141 + 1;
}

// Running statistics: per window (count, sum, min, max) and since the start (counter, with
// resets added back).
struct Aggregator {
  size_t total = 0, count = 0;
  double sum = 0, min = 0, max = 0, counter = 0, last = 0;

  void Reset() {
    count = 0;
    sum = 0;
    min = std::numeric_limits<double>::max();
    max = std::numeric_limits<double>::lowest();
  }
  void Add(double v) {
    if (total == 0)
      counter = v;
    else
      counter += v < last ? v : v - last;
    last = v;
    sum += v;
    count++;
    total++;
    min = std::min(min, v);
    max = std::max(max, v);
  }
};

// Calls add(window end, aggregator) after each window of `data`; the last window ends no later
// than the last sample, so consecutive batches never overlap. Returns the last window's end.
template <typename AddFn>
int64_t AggregateWindows(std::span<const Sample> data, int64_t resolution, AddFn add) {
  Aggregator a;
  int64_t next = -1;
  const int64_t last = data.back().t;
  for (const Sample& s : data) {
    if (s.t > next) {
      if (next != -1) add(next, a);
      a.Reset();
      next = std::min(WindowEnd(s.t, resolution), last);
    }
    a.Add(s.v);
  }
  if (a.total > 0) add(next, a);
  return next;
}

// Encodes the aggregates of one output chunk.
struct ChunkBuilder {
  std::array<std::optional<tsdb::XorAppender>, tsdb::kNumAggrTypes> apps;
  int64_t min_time = std::numeric_limits<int64_t>::max();
  int64_t max_time = std::numeric_limits<int64_t>::min();

  tsdb::XorAppender& app(AggrType t) {
    auto& a = apps[static_cast<size_t>(t)];
    if (!a) a.emplace();
    return *a;
  }
  void Cover(int64_t t) {
    min_time = std::min(min_time, t);
    max_time = std::max(max_time, t);
  }
  AggrChunk Encode() const {
    tsdb::AggrChunkParts parts;
    for (size_t i = 0; i < apps.size(); i++)
      if (apps[i]) parts[i] = apps[i]->Bytes();
    return AggrChunk{min_time, max_time, tsdb::EncodeAggrChunk(parts)};
  }
};

AggrChunk DownsampleRawBatch(std::span<const Sample> batch, int64_t resolution) {
  ChunkBuilder b;
  for (AggrType t : {AggrType::kCount, AggrType::kSum, AggrType::kMin, AggrType::kMax}) b.app(t);
  // The counter keeps the first and the last raw value (see CounterResetsIterator).
  b.app(AggrType::kCounter).Append(batch.front().t, batch.front().v);
  const int64_t last = AggregateWindows(batch, resolution, [&](int64_t t, const Aggregator& a) {
    b.Cover(t);
    b.app(AggrType::kSum).Append(t, a.sum);
    b.app(AggrType::kMin).Append(t, a.min);
    b.app(AggrType::kMax).Append(t, a.max);
    b.app(AggrType::kCount).Append(t, static_cast<double>(a.count));
    b.app(AggrType::kCounter).Append(t, a.counter);
  });
  b.app(AggrType::kCounter).Append(last, batch.back().v);
  return b.Encode();
}

Result<AggrChunk> DownsampleAggrBatch(std::span<const tsdb::AggrChunkView> part, int64_t resolution,
                                      std::vector<Sample>* buf) {
  ChunkBuilder b;
  // Windows of windows: counts add up, sums add up, min of mins, max of maxes.
  struct Rule {
    AggrType type;
    double (*value)(const Aggregator&);
  };
  static constexpr Rule kRules[] = {
      {AggrType::kCount, [](const Aggregator& a) { return a.sum; }},
      {AggrType::kSum, [](const Aggregator& a) { return a.sum; }},
      {AggrType::kMin, [](const Aggregator& a) { return a.min; }},
      {AggrType::kMax, [](const Aggregator& a) { return a.max; }},
  };
  for (const Rule& rule : kRules) {
    buf->clear();
    for (const tsdb::AggrChunkView& c : part) {
      const tsdb::ChunkData& d = c[static_cast<size_t>(rule.type)];
      if (d.encoding == 0) continue;
      auto it = NewXorSampleIterator(d.data);
      STRATA_RETURN_IF_ERROR(
          AppendSamples(*it, buf).WithContext(std::string(tsdb::AggrTypeName(rule.type))));
    }
    if (buf->empty()) continue;
    AggregateWindows(*buf, resolution, [&](int64_t t, const Aggregator& a) {
      b.Cover(t);
      b.app(rule.type).Append(t, rule.value(a));
    });
  }

  // Counters: rebuilt across the chunks with resets applied, then aggregated like raw data.
  std::vector<std::unique_ptr<storage::SampleIterator>> counters;
  for (const tsdb::AggrChunkView& c : part) {
    const tsdb::ChunkData& d = c[static_cast<size_t>(AggrType::kCounter)];
    if (d.encoding != 0) counters.push_back(NewXorSampleIterator(d.data));
  }
  CounterResetsIterator it(std::move(counters));
  buf->clear();
  STRATA_RETURN_IF_ERROR(AppendSamples(it, buf).WithContext("counter"));
  if (!buf->empty()) {
    tsdb::XorAppender& app = b.app(AggrType::kCounter);
    app.Append(buf->front().t, buf->front().v);
    const int64_t last = AggregateWindows(*buf, resolution, [&](int64_t t, const Aggregator& a) {
      b.Cover(t);
      app.Append(t, a.counter);
    });
    app.Append(last, it.last_raw());
  }
  if (b.min_time > b.max_time) return Status::Corruption("aggregate chunks without samples");
  return b.Encode();
}

}  // namespace

Status AppendSamples(storage::SampleIterator& it, std::vector<Sample>* out) {
  int64_t last = std::numeric_limits<int64_t>::min();
  while (it.Next()) {
    if (std::isnan(it.v()) || it.t() < last) continue;
    out->push_back({it.t(), it.v()});
    last = it.t();
  }
  return it.status();
}

std::vector<AggrChunk> DownsampleRaw(std::span<const Sample> data, int64_t resolution) {
  std::vector<AggrChunk> out;
  if (data.empty()) return out;
  const size_t num_chunks =
      TargetChunkCount(data.front().t, data.back().t, 60 * 1000, resolution, data.size());
  const size_t batch_size = data.size() / num_chunks + 1;
  std::vector<Sample> batch;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t j = std::min(pos + batch_size, data.size());
    // Take the rest of the last window too, so chunks end on window boundaries.
    const int64_t window_end = WindowEnd(data[j - 1].t, resolution);
    while (j < data.size() && data[j].t <= window_end) j++;
    batch.clear();
    for (size_t i = pos; i < j; i++)
      if (!std::isnan(data[i].v)) batch.push_back(data[i]);
    pos = j;
    if (!batch.empty()) out.push_back(DownsampleRawBatch(batch, resolution));
  }
  return out;
}

Result<std::vector<AggrChunk>> DownsampleAggr(const std::vector<std::string_view>& chunks,
                                              int64_t mint, int64_t maxt, int64_t in_resolution,
                                              int64_t out_resolution) {
  std::vector<tsdb::AggrChunkView> views;
  size_t samples = 0;
  for (std::string_view c : chunks) {
    STRATA_ASSIGN_OR_RETURN(tsdb::AggrChunkView v, tsdb::DecodeAggrChunk(c));
    views.push_back(v);
    samples += tsdb::AggrChunkSamples(c);
  }
  std::vector<AggrChunk> out;
  const size_t num_chunks = TargetChunkCount(mint, maxt, in_resolution, out_resolution, samples);
  const size_t batch_size = std::max<size_t>(1, views.size() / num_chunks);
  std::vector<Sample> buf;
  for (size_t pos = 0; pos < views.size(); pos += batch_size) {
    const size_t n = std::min(batch_size, views.size() - pos);
    STRATA_ASSIGN_OR_RETURN(
        AggrChunk c, DownsampleAggrBatch(std::span(views).subspan(pos, n), out_resolution, &buf));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace strata::downsample
