#include "store/bucket_block.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "base/encoding.h"
#include "base/timestamp.h"
#include "storeapi/source.h"
#include "tsdb/chunk_file.h"
#include "tsdb/index_decode.h"

namespace strata::store {
namespace {

constexpr uint64_t kMaxSeriesEstimate = 64 * 1024;  // Thanos's maxSeriesSize
constexpr uint64_t kMaxChunkEstimate = 16000;       // Thanos's maxChunkSize

std::string SegmentObject(uint32_t seg) { return "chunks/" + tsdb::SegmentName(seg + 1); }

}  // namespace

std::vector<ReadPart> PartitionRanges(const std::vector<std::pair<uint64_t, uint64_t>>& ranges,
                                      uint64_t max_gap) {
  std::vector<ReadPart> parts;
  for (size_t i = 0; i < ranges.size(); i++) {
    const auto [start, end] = ranges[i];
    if (parts.empty() || start > parts.back().end + max_gap) {
      parts.push_back(ReadPart{start, end, {}});
    } else {
      parts.back().end = std::max(parts.back().end, end);
    }
    parts.back().members.push_back(i);
  }
  return parts;
}

Result<std::shared_ptr<BucketBlock>> BucketBlock::Load(std::shared_ptr<objstore::Bucket> bucket,
                                                       const tsdb::BlockMeta& meta, std::string dir,
                                                       IndexCache* cache, bool lazy_header) {
  auto b = std::shared_ptr<BucketBlock>(new BucketBlock());
  b->bucket_ = std::move(bucket);
  b->cache_ = cache;
  b->id_ = meta.ulid.String();
  b->dir_ = std::move(dir);
  b->meta_ = meta;
  if (meta.thanos) {
    b->ext_ = meta.thanos->labels;
    if (meta.thanos->series_max_size > 0) {
      b->max_series_size_ = static_cast<uint64_t>(meta.thanos->series_max_size);
    }
    if (meta.thanos->chunk_max_size > 0) {
      b->max_chunk_size_ = static_cast<uint64_t>(meta.thanos->chunk_max_size);
    }
  }
  STRATA_ASSIGN_OR_RETURN(objstore::ObjectAttributes attrs,
                          b->bucket_->Attributes(b->id_ + "/index"));
  b->index_size_ = static_cast<uint64_t>(attrs.size);
  std::error_code ec;
  std::filesystem::create_directories(b->dir_, ec);
  if (ec) return Status::IOError("create " + b->dir_ + ": " + ec.message());
  if (!lazy_header) STRATA_RETURN_IF_ERROR(b->Header().status());
  return b;
}

Result<std::shared_ptr<const tsdb::IndexHeader>> BucketBlock::Header() {
  std::lock_guard<std::mutex> l(mu_);
  last_used_ms_ = NowMs();
  if (header_) return header_;
  const std::string path = dir_ + "/index-header";
  auto h = tsdb::IndexHeader::Open(path);
  if (!h.ok() || (*h)->index_size() != index_size_) {
    // Missing, from an older index, or damaged on local disk: build it (again).
    const std::string object = id_ + "/index";
    Status st = tsdb::WriteIndexHeader(
        [&](uint64_t off, uint64_t len) { return bucket_->GetRange(object, off, len); },
        index_size_, path);
    if (!st.ok()) return st.WithContext("block " + id_ + ": build index-header from index");
    h = tsdb::IndexHeader::Open(path);
    if (!h.ok()) return h.status().WithContext("block " + id_);
  }
  header_ = std::move(*h);
  return header_;
}

bool BucketBlock::UnloadIfIdle(int64_t now_ms, int64_t idle_ms) {
  std::lock_guard<std::mutex> l(mu_);
  if (!header_ || now_ms - last_used_ms_ < idle_ms || header_.use_count() > 1) return false;
  header_.reset();
  return true;
}

bool BucketBlock::header_loaded() const {
  std::lock_guard<std::mutex> l(mu_);
  return header_ != nullptr;
}

Status BucketBlock::Corrupt(const std::string& object, uint64_t off,
                            const std::string& what) const {
  return Status::Corruption("block " + id_ + ": " + object + " at offset " + std::to_string(off) +
                            ": " + what);
}

Result<std::string> BucketBlock::GetRange(const std::string& object, uint64_t off, uint64_t len,
                                          FetchStats* stats) {
  stats->requests++;
  auto r =
      bucket_->GetRange(id_ + "/" + object, static_cast<int64_t>(off), static_cast<int64_t>(len));
  if (!r.ok()) return r.status().WithContext("block " + id_ + ": read " + object);
  return r;
}

Status BucketBlock::ReadRanges(const std::string& object, const std::vector<ByteRange>& ranges,
                               std::vector<size_t> which, std::atomic<uint64_t>* bytes,
                               FetchStats* stats, ChunkBuffers* keep, const RangeFn& take) {
  std::sort(which.begin(), which.end(),
            [&](size_t a, size_t b) { return ranges[a].first < ranges[b].first; });
  std::vector<ByteRange> sorted;
  sorted.reserve(which.size());
  for (size_t i : which) sorted.push_back(ranges[i]);
  for (const ReadPart& part : PartitionRanges(sorted, kPartitionMaxGap)) {
    STRATA_ASSIGN_OR_RETURN(std::string buf,
                            GetRange(object, part.start, part.end - part.start, stats));
    *bytes += buf.size();
    std::string_view all = buf;
    if (keep != nullptr) {
      keep->push_back(std::move(buf));
      all = keep->back();
    }
    for (size_t m : part.members) {
      const ByteRange& r = sorted[m];
      const uint64_t rel = r.first - part.start;
      std::string_view b = rel < all.size() ? all.substr(rel) : std::string_view();
      STRATA_RETURN_IF_ERROR(take(which[m], b.substr(0, r.second - r.first)));
    }
  }
  return Status::OK();
}

Result<std::vector<tsdb::Postings>> BucketBlock::FetchPostings(
    const tsdb::IndexHeader& h, const std::vector<std::pair<std::string, std::string>>& keys,
    FetchStats* stats) {
  std::vector<tsdb::Postings> out(keys.size());
  std::vector<std::string> cache_keys;
  std::vector<size_t> with_range;
  std::vector<tsdb::IndexHeader::Range> ranges;
  for (size_t i = 0; i < keys.size(); i++) {
    STRATA_ASSIGN_OR_RETURN(auto r, h.PostingsRange(keys[i].first, keys[i].second));
    if (!r) continue;
    with_range.push_back(i);
    ranges.push_back(*r);
    cache_keys.push_back(PostingsCacheKey(id_, keys[i].first, keys[i].second));
  }
  stats->postings_touched += with_range.size();
  std::vector<std::optional<std::string>> cached;
  if (cache_ != nullptr && !cache_keys.empty()) {
    cached = cache_->Fetch(CacheItem::kPostings, cache_keys);
  }
  auto decode = [&](size_t k, std::string_view section, bool store) -> Status {
    const uint64_t at = ranges[k].start;
    auto body = tsdb::DecodeSection(section, at, "postings list");
    if (!body.ok()) return Corrupt("index", at, body.status().message());
    auto p = tsdb::DecodePostingsBody(*body, at + 4);
    if (!p.ok()) return Corrupt("index", at, p.status().message());
    if (store && cache_ != nullptr) {
      cache_->Store(CacheItem::kPostings, cache_keys[k],
                    std::string(section.substr(0, body->size() + 8)));
    }
    out[with_range[k]] = std::move(*p);
    return Status::OK();
  };
  std::vector<size_t> misses;
  for (size_t k = 0; k < with_range.size(); k++) {
    if (k < cached.size() && cached[k]) {
      Status st = decode(k, *cached[k], false);
      if (st.ok()) continue;  // a damaged cache entry is read again from the bucket
    }
    misses.push_back(k);
  }
  std::vector<ByteRange> rs;
  for (const auto& r : ranges) rs.emplace_back(r.start, r.end);
  STRATA_RETURN_IF_ERROR(ReadRanges("index", rs, misses, &stats->postings_bytes, stats, nullptr,
                                    [&](size_t k, std::string_view b) {
                                      stats->postings_fetched++;
                                      return decode(k, b, true);
                                    }));
  return out;
}

Result<std::vector<std::string>> BucketBlock::FetchSeries(const std::vector<uint32_t>& refs,
                                                          FetchStats* stats) {
  std::vector<std::string> out(refs.size());
  stats->series_touched += refs.size();
  std::vector<size_t> misses;
  if (cache_ != nullptr && !refs.empty()) {
    std::vector<std::string> keys;
    keys.reserve(refs.size());
    for (uint32_t r : refs) keys.push_back(SeriesCacheKey(id_, r));
    auto cached = cache_->Fetch(CacheItem::kSeries, keys);
    for (size_t i = 0; i < refs.size(); i++) {
      // A damaged entry (a shared memcached, a half-written item) is read again from the bucket,
      // as postings are.
      size_t need = 0;
      if (cached[i] && tsdb::DecodeSeriesEntry(*cached[i], 0, &need).ok()) {
        out[i] = std::move(*cached[i]);
      } else {
        misses.push_back(i);
      }
    }
  } else {
    for (size_t i = 0; i < refs.size(); i++) misses.push_back(i);
  }
  // Each series ends before the next one starts; the estimate covers the rest.
  const uint64_t est = std::min(max_series_size_.load() + 16, kMaxSeriesEstimate);
  std::vector<ByteRange> rs;
  std::vector<size_t> pending;
  for (size_t j = 0; j < misses.size(); j++) {
    const uint64_t start = uint64_t{refs[misses[j]]} * tsdb::kSeriesAlignment;
    uint64_t end = std::min(start + est, index_size_);
    if (j + 1 < misses.size()) {
      end = std::min(end, uint64_t{refs[misses[j + 1]]} * tsdb::kSeriesAlignment);
    }
    rs.emplace_back(start, std::max(end, start + 1));
    pending.push_back(j);
  }
  std::vector<size_t> refetch;  // series larger than estimated: read again at their full size
  auto take = [&](size_t j, std::string_view b) -> Status {
    const uint64_t at = rs[j].first;
    size_t need = 0;
    auto body = tsdb::DecodeSeriesEntry(b, at, &need);
    if (body.status().code() == StatusCode::kOutOfRange) {
      if (b.size() < rs[j].second - rs[j].first || need > kMaxSeriesEstimate * 16) {
        return Corrupt("index", at, "series runs past the end of the index");
      }
      rs[j].second = at + (need > 0 ? need : b.size() * 4 + 64);
      refetch.push_back(j);
      return Status::OK();
    }
    if (!body.ok()) return Corrupt("index", at, body.status().message());
    const size_t entry_len = static_cast<size_t>(body->data() - b.data()) + body->size() + 4;
    out[misses[j]] = std::string(b.substr(0, entry_len));
    if (cache_ != nullptr) {
      cache_->Store(CacheItem::kSeries, SeriesCacheKey(id_, refs[misses[j]]), out[misses[j]]);
    }
    uint64_t seen = max_series_size_.load();
    while (entry_len > seen && !max_series_size_.compare_exchange_weak(seen, entry_len)) {
    }
    stats->series_fetched++;
    return Status::OK();
  };
  for (int round = 0; !pending.empty(); round++) {
    if (round > 4) return Corrupt("index", rs[pending[0]].first, "series length keeps growing");
    refetch.clear();
    STRATA_RETURN_IF_ERROR(
        ReadRanges("index", rs, pending, &stats->series_bytes, stats, nullptr, take));
    pending = refetch;
  }
  return out;
}

uint64_t BucketBlock::EstimatedMaxSeriesSize() const {
  constexpr uint64_t kDefault = 64 * 1024;  // Thanos's --debug.estimated-max-series-size
  const int64_t stat = meta_.thanos ? meta_.thanos->series_max_size : 0;
  return stat > 0 ? std::min<uint64_t>(static_cast<uint64_t>(stat), kDefault) : kDefault;
}

Result<tsdb::Postings> BucketBlock::ExpandPostings(const tsdb::IndexHeader& h,
                                                   const Matchers& matchers, FetchStats* stats,
                                                   bool lazy, Matchers* lazy_matchers) {
  // Resolve matchers to label pairs, then fetch all their postings in one pass.
  std::vector<std::pair<std::string, std::string>> keys;
  struct Plan {
    size_t from, to;
    bool negate;
    const Matcher* m;
    uint64_t card = 0;  // estimated series in its postings lists
  };
  std::vector<Plan> plans;
  bool any_positive = false;
  Status values_status;
  for (const Matcher& m : matchers) {
    bool negate = false;
    auto values = tsdb::ValuesForMatcher(
        m,
        [&]() -> std::vector<std::string_view> {
          auto v = h.LabelValues(m.name());
          if (!v.ok()) {
            values_status = v.status();
            return {};
          }
          return std::move(*v);
        },
        &negate);
    STRATA_RETURN_IF_ERROR(values_status);
    if (!negate && values.empty()) return tsdb::Postings{};  // nothing can match
    any_positive |= !negate;
    plans.push_back({keys.size(), keys.size() + values.size(), negate, &m});
    for (auto& v : values) keys.emplace_back(m.name(), std::move(v));
  }
  if (lazy && any_positive && plans.size() > 1) {
    // Thanos's lazy expanded postings: each matcher's series count estimated from the size of
    // its postings lists; from the smallest up, a matcher's postings are fetched only while
    // they cost less than the series reads they could still save.
    for (Plan& p : plans) {
      for (size_t k = p.from; k < p.to; k++) {
        STRATA_ASSIGN_OR_RETURN(auto r, h.PostingsRange(keys[k].first, keys[k].second));
        if (r && r->end > r->start + 4) p.card += (r->end - r->start - 4) / 4;
      }
    }
    std::vector<size_t> order(plans.size());
    for (size_t i = 0; i < order.size(); i++) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (plans[a].card != plans[b].card) return plans[a].card < plans[b].card;
      return plans[a].m->name() < plans[b].m->name();
    });
    const double series_bytes =
        static_cast<double>(plans[order[0]].card) * static_cast<double>(EstimatedMaxSeriesSize());
    double part = 1;
    bool has_add = !plans[order[0]].negate;
    size_t keep = 1;
    for (; keep < order.size(); keep++) {
      const Plan& p = plans[order[keep]];
      if (has_add && static_cast<double>(p.card) * 4 > part * std::ceil(0.5 * series_bytes)) break;
      has_add |= !p.negate;
      part *= 0.5;
    }
    if (keep < order.size()) {
      std::vector<bool> is_lazy(plans.size(), false);
      for (size_t k = keep; k < order.size(); k++) {
        is_lazy[order[k]] = true;
        lazy_matchers->push_back(*plans[order[k]].m);
        stats->lazy_postings_bytes += 4 * plans[order[k]].card;
      }
      stats->lazy_applied++;
      std::vector<std::pair<std::string, std::string>> kept_keys;
      std::vector<Plan> kept;
      for (size_t j = 0; j < plans.size(); j++) {
        if (is_lazy[j]) continue;
        Plan p = plans[j];
        p.from = kept_keys.size();
        for (size_t k = plans[j].from; k < plans[j].to; k++) kept_keys.push_back(keys[k]);
        p.to = kept_keys.size();
        kept.push_back(p);
      }
      keys = std::move(kept_keys);
      plans = std::move(kept);  // still holds a positive matcher: the loop stops only then
    }
  }
  if (!any_positive) keys.emplace_back("", "");
  STRATA_ASSIGN_OR_RETURN(std::vector<tsdb::Postings> lists, FetchPostings(h, keys, stats));
  std::vector<tsdb::Postings> include, exclude;
  for (const Plan& p : plans) {
    std::vector<tsdb::Postings> parts(std::make_move_iterator(lists.begin() + p.from),
                                      std::make_move_iterator(lists.begin() + p.to));
    tsdb::Postings merged = tsdb::Merge(parts);
    if (!p.negate && merged.empty()) return tsdb::Postings{};
    (p.negate ? exclude : include).push_back(std::move(merged));
  }
  if (!any_positive) include.push_back(std::move(lists.back()));
  tsdb::Postings refs = tsdb::IntersectAll(std::move(include));
  if (!exclude.empty()) refs = tsdb::Without(refs, tsdb::Merge(exclude));
  return refs;
}

Result<tsdb::Postings> BucketBlock::CachedExpandPostings(const tsdb::IndexHeader& h,
                                                         const Matchers& matchers,
                                                         FetchStats* stats, bool lazy,
                                                         Matchers* lazy_matchers,
                                                         std::string* cache_key) {
  if (cache_ == nullptr) return ExpandPostings(h, matchers, stats, lazy, lazy_matchers);
  std::vector<std::string> lines;
  for (const Matcher& m : matchers) lines.push_back(m.String());
  std::sort(lines.begin(), lines.end());
  std::string canonical;
  for (const auto& l : lines) canonical += l + "\n";
  const std::string key = ExpandedPostingsCacheKey(id_, canonical);
  if (auto hit = cache_->Fetch(CacheItem::kExpandedPostings, {key}); hit[0].has_value()) {
    // A damaged entry (another writer, memcached corruption) is a miss, never an answer.
    if (auto refs = DecodeRefs(*hit[0]); refs.ok()) return std::move(*refs);
  }
  STRATA_ASSIGN_OR_RETURN(tsdb::Postings refs,
                          ExpandPostings(h, matchers, stats, lazy, lazy_matchers));
  if (lazy_matchers->empty()) {
    cache_->Store(CacheItem::kExpandedPostings, key, EncodeRefs(refs));
  } else {
    *cache_key = key;  // stored once the lazy matchers have filtered the series
  }
  return refs;
}

std::string EncodeRefs(const tsdb::Postings& refs) {
  Encoder e;
  e.PutUvarint(refs.size());
  uint32_t prev = 0;
  for (uint32_t r : refs) {
    e.PutUvarint(r - prev);
    prev = r;
  }
  return std::move(e.buf());
}

Result<tsdb::Postings> DecodeRefs(std::string_view data) {
  Decoder d(data);
  const uint64_t n = d.Uvarint();
  if (!d.ok() || n > data.size()) return Status::Corruption("expanded postings: bad count");
  tsdb::Postings refs;
  refs.reserve(n);
  uint64_t at = 0;
  for (uint64_t i = 0; i < n; i++) {
    const uint64_t delta = d.Uvarint();
    // Checked before adding: a huge delta must not wrap around to a smaller reference.
    if (!d.ok() || (i > 0 && delta == 0) || delta > UINT32_MAX - at) {
      return Status::Corruption("expanded postings: bad reference " + std::to_string(i));
    }
    at += delta;
    refs.push_back(static_cast<uint32_t>(at));
  }
  if (d.remaining() != 0) return Status::Corruption("expanded postings: trailing bytes");
  return refs;
}

Result<std::vector<BlockSeries>> BucketBlock::Select(const Matchers& matchers, int64_t mint,
                                                     int64_t maxt,
                                                     const std::vector<std::string>& without,
                                                     FetchStats* stats, bool lazy_postings) {
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const tsdb::IndexHeader> h, Header());
  Matchers lazy;
  std::string cache_key;
  STRATA_ASSIGN_OR_RETURN(
      tsdb::Postings refs,
      CachedExpandPostings(*h, matchers, stats, lazy_postings, &lazy, &cache_key));
  if (refs.empty()) return std::vector<BlockSeries>{};
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> entries, FetchSeries(refs, stats));
  std::vector<BlockSeries> out;
  out.reserve(entries.size());
  tsdb::Postings matched;  // with lazy matchers: the references that pass them
  auto symbol = [&](uint32_t r) { return h->Symbol(r); };
  for (size_t i = 0; i < entries.size(); i++) {
    const uint64_t at = uint64_t{refs[i]} * tsdb::kSeriesAlignment;
    size_t need = 0;
    auto body = tsdb::DecodeSeriesEntry(entries[i], at, &need);
    if (!body.ok()) return Corrupt("index", at, body.status().message());
    auto s = tsdb::DecodeSeriesBody(*body, at, symbol, true);
    if (!s.ok()) return Corrupt("index", at, s.status().message());
    if (!std::all_of(lazy.begin(), lazy.end(),
                     [&](const Matcher& m) { return m.Matches(s->labels.Get(m.name())); })) {
      stats->lazy_overfetched_bytes += entries[i].size();
      continue;
    }
    if (!lazy.empty()) matched.push_back(refs[i]);
    BlockSeries bs;
    for (const auto& c : s->chunks) {
      if (c.max_time >= mint && c.min_time <= maxt) bs.metas.push_back(c);
    }
    if (bs.metas.empty()) continue;
    bs.labels = std::move(s->labels);
    for (const auto& e : ext_) bs.labels = bs.labels.With(e.name, e.value);
    if (!without.empty()) bs.labels = storeapi::WithoutLabels(bs.labels, without);
    out.push_back(std::move(bs));
  }
  if (!cache_key.empty())
    cache_->Store(CacheItem::kExpandedPostings, cache_key, EncodeRefs(matched));
  // External labels keep the index's order unless a series label clashes with one; leaving
  // labels out can reorder series too.
  if ((!ext_.empty() || !without.empty()) &&
      !std::is_sorted(out.begin(), out.end(),
                      [](const auto& a, const auto& b) { return a.labels < b.labels; })) {
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.labels < b.labels; });
  }
  return out;
}

Status BucketBlock::LoadChunks(std::vector<BlockSeries>& series, size_t from, size_t to,
                               ChunkBuffers* buffers, FetchStats* stats) {
  struct Want {
    uint64_t ref;
    size_t s, c;
  };
  std::vector<Want> wants;
  for (size_t i = from; i < to; i++) {
    series[i].chunks.assign(series[i].metas.size(), storeapi::RawChunk{});
    for (size_t j = 0; j < series[i].metas.size(); j++) {
      wants.push_back({series[i].metas[j].ref, i, j});
    }
  }
  stats->chunks_touched += wants.size();
  std::sort(wants.begin(), wants.end(), [](const Want& a, const Want& b) { return a.ref < b.ref; });
  const uint64_t est = std::min(max_chunk_size_.load() + 16, kMaxChunkEstimate);
  for (size_t lo = 0; lo < wants.size();) {
    const uint32_t seg = tsdb::ChunkRef::Segment(wants[lo].ref);
    size_t hi = lo;
    while (hi < wants.size() && tsdb::ChunkRef::Segment(wants[hi].ref) == seg) hi++;
    const std::string object = SegmentObject(seg);
    std::vector<ByteRange> rs;  // indexed by k - lo
    std::vector<size_t> pending;
    for (size_t k = lo; k < hi; k++) {
      const uint64_t start = tsdb::ChunkRef::Offset(wants[k].ref);
      uint64_t end = start + est;
      if (k + 1 < hi && tsdb::ChunkRef::Offset(wants[k + 1].ref) > start) {
        end = std::min<uint64_t>(end, tsdb::ChunkRef::Offset(wants[k + 1].ref));
      }
      rs.emplace_back(start, end);
      pending.push_back(k - lo);
    }
    std::vector<size_t> refetch;  // chunks larger than estimated: read again at their full size
    auto take = [&](size_t i, std::string_view b) -> Status {
      const size_t k = lo + i;
      const uint64_t at = rs[i].first;
      const std::string where =
          "block " + id_ + ": " + object + " at offset " + std::to_string(at) + ": ";
      size_t need = 0;
      auto c = tsdb::DecodeChunk(b, where, &need);
      if (c.status().code() == StatusCode::kOutOfRange) {
        if (need == 0 || b.size() < rs[i].second - rs[i].first) {
          return Status::Corruption(where + "chunk runs past the end of the segment");
        }
        rs[i].second = at + need;
        refetch.push_back(i);
        return Status::OK();
      }
      if (!c.ok()) return c.status();
      const tsdb::ChunkMeta& meta = series[wants[k].s].metas[wants[k].c];
      series[wants[k].s].chunks[wants[k].c] =
          storeapi::RawChunk{meta.min_time, meta.max_time, c->encoding, c->data};
      uint64_t seen = max_chunk_size_.load();
      const uint64_t size = c->data.size() + 16;
      while (size > seen && !max_chunk_size_.compare_exchange_weak(seen, size)) {
      }
      stats->chunks_fetched++;
      return Status::OK();
    };
    for (int round = 0; !pending.empty(); round++) {
      if (round > 1) return Corrupt(object, rs[pending[0]].first, "chunk length keeps growing");
      refetch.clear();
      STRATA_RETURN_IF_ERROR(
          ReadRanges(object, rs, pending, &stats->chunks_bytes, stats, buffers, take));
      pending = refetch;
    }
    lo = hi;
  }
  return Status::OK();
}

Result<std::vector<std::string>> BucketBlock::LabelNames() {
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const tsdb::IndexHeader> h, Header());
  std::vector<std::string> out;
  for (auto n : h->LabelNames()) out.emplace_back(n);
  return out;
}

Result<std::vector<std::string>> BucketBlock::LabelValues(const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const tsdb::IndexHeader> h, Header());
  STRATA_ASSIGN_OR_RETURN(auto values, h->LabelValues(name));
  return std::vector<std::string>(values.begin(), values.end());
}

}  // namespace strata::store
