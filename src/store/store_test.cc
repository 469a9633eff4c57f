#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "base/file.h"
#include "block/block.h"
#include "cache/memcached_process.h"
#include "objstore/filesystem.h"
#include "store/bucket_store.h"
#include "store/index_cache.h"
#include "tsdb/block.h"
#include "tsdb/block_writer.h"
#include "tsdb/test_util.h"

namespace strata::store {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kH = 3600 * 1000;

Matcher M(MatchType t, const char* n, const char* v) { return *Matcher::Make(t, n, v); }

// Counts ranged reads per object kind, to see what the store fetches and what the cache saves.
class CountingBucket : public objstore::Bucket {
 public:
  explicit CountingBucket(std::shared_ptr<objstore::Bucket> b) : b_(std::move(b)) {}
  Status Iter(std::string_view d, const objstore::IterFn& fn, bool r) override {
    return b_->Iter(d, fn, r);
  }
  Result<std::string> Get(std::string_view n) override {
    gets++;
    return b_->Get(n);
  }
  Result<std::string> GetRange(std::string_view n, int64_t off, int64_t len) override {
    (n.ends_with("/index") ? index_ranges : chunk_ranges)++;
    return b_->GetRange(n, off, len);
  }
  Result<bool> Exists(std::string_view n) override { return b_->Exists(n); }
  Result<objstore::ObjectAttributes> Attributes(std::string_view n) override {
    return b_->Attributes(n);
  }
  Status Upload(std::string_view n, std::string_view d) override { return b_->Upload(n, d); }
  Status UploadFile(std::string_view n, const std::string& p) override {
    return b_->UploadFile(n, p);
  }
  Status Download(std::string_view n, const std::string& p) override {
    gets++;
    return b_->Download(n, p);
  }
  Status Delete(std::string_view n) override { return b_->Delete(n); }
  std::string Name() const override { return b_->Name(); }

  std::atomic<int> gets{0}, index_ranges{0}, chunk_ranges{0};

 private:
  std::shared_ptr<objstore::Bucket> b_;
};

// A series as the StoreAPI sends it: labels and the raw chunks.
using Answer = std::vector<std::pair<std::string, std::vector<std::string>>>;

Answer Collect(storeapi::SeriesSource& src, const storeapi::SeriesQuery& q,
               std::vector<std::string>* warnings = nullptr, Status* status = nullptr) {
  Answer out;
  Status st = src.Series(
      q,
      [&](const Labels& l, const std::vector<storeapi::RawChunk>& cs) {
        std::vector<std::string> chunks;
        for (const auto& c : cs) {
          chunks.push_back(std::to_string(c.min_time) + "-" + std::to_string(c.max_time) + ":" +
                           std::string(c.data));
        }
        out.emplace_back(l.String(), std::move(chunks));
        return Status::OK();
      },
      [&](const std::string& w) {
        if (warnings) warnings->push_back(w);
      });
  if (status) {
    *status = st;
  } else {
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  return out;
}

Answer Collect(storeapi::SeriesSource& src, const Matchers& m, int64_t mint, int64_t maxt,
               std::vector<std::string>* warnings = nullptr, Status* status = nullptr) {
  return Collect(src, {m, mint, maxt}, warnings, status);
}

double MetricValue(const Registry& r, const std::string& series) {
  std::istringstream in(r.Expose());
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(tmp_.path() + "/bucket");
    auto b = objstore::NewFilesystemBucket(tmp_.path() + "/bucket");
    ASSERT_TRUE(b.ok());
    bucket_ = std::make_shared<CountingBucket>(std::shared_ptr<objstore::Bucket>(std::move(*b)));
    // Cluster a: two consecutive 2h blocks of the same 120 series; cluster b: one block of 40
    // series; and a plain Prometheus block without a Thanos section.
    a1_ = AddBlock(0, 2 * kH, 120, Labels{{"cluster", "a"}});
    a2_ = AddBlock(2 * kH, 4 * kH, 120, Labels{{"cluster", "a"}});
    b1_ = AddBlock(0, 2 * kH, 40, Labels{{"cluster", "b"}});
    plain_ = AddBlock(kH, 3 * kH, 10, std::nullopt);
  }

  std::string AddBlock(int64_t from, int64_t to, int n, std::optional<Labels> ext,
                       int64_t series_max_size = 0) {
    const std::string parent = tmp_.path() + "/local";
    fs::create_directories(parent);
    tsdb::BlockWriter w(parent);
    for (int i = 0; i < n; i++) {
      Labels l{{"__name__", i % 3 == 0 ? "up" : "http_requests_total"},
               {"instance", "i-" + std::to_string(i)},
               {"job", "j-" + std::to_string(i % 7)}};
      if (i % 10 == 0) l = l.With("env", "prod");
      for (int64_t t = from; t < to; t += 15000) {
        EXPECT_TRUE(w.Append(l, t, static_cast<double>(t / 1000 + i)).ok());
      }
    }
    std::optional<tsdb::ThanosMeta> th;
    if (ext) {
      th.emplace();
      th->labels = *ext;
      th->source = "sidecar";
      th->series_max_size = series_max_size;
    }
    auto meta = w.Flush(th);
    EXPECT_TRUE(meta.ok());
    const std::string dir = parent + "/" + meta->ulid.String();
    EXPECT_TRUE(block::UploadBlock(*bucket_, dir, th ? &*th : nullptr).ok());
    auto opened = tsdb::Block::Open(dir);
    EXPECT_TRUE(opened.ok());
    local_.push_back(std::move(*opened));
    return meta->ulid.String();
  }

  std::unique_ptr<BucketStore> NewStore(BucketStoreOptions opts = {},
                                        std::shared_ptr<IndexCache> cache = nullptr) {
    opts.data_dir = tmp_.path() + "/data";
    auto s = std::make_unique<BucketStore>(bucket_, opts, cache, &metrics_);
    auto w = s->Sync();
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    if (w.ok()) warnings_ = *w;
    return s;
  }

  std::unique_ptr<storeapi::SeriesSource> Reference() {
    return storeapi::NewBlocksSource(
        std::vector<std::shared_ptr<const tsdb::Block>>(local_.begin(), local_.end()));
  }

  tsdb::TempDir tmp_;
  std::shared_ptr<CountingBucket> bucket_;
  std::vector<std::shared_ptr<tsdb::Block>> local_;
  std::string a1_, a2_, b1_, plain_;
  Registry metrics_;
  std::vector<std::string> warnings_;
};

const std::vector<Matchers>& Queries() {
  static const std::vector<Matchers> q = {
      {M(MatchType::kEqual, "__name__", "up")},
      {M(MatchType::kRegexMatch, "job", "j-[12]")},
      {M(MatchType::kNotEqual, "instance", "i-3"), M(MatchType::kEqual, "job", "j-3")},
      {M(MatchType::kRegexMatch, "__name__", ".+")},
      {M(MatchType::kEqual, "cluster", "b")},
      {M(MatchType::kNotEqual, "cluster", "a"), M(MatchType::kEqual, "env", "prod")},
      {M(MatchType::kEqual, "env", ""), M(MatchType::kEqual, "job", "j-0")},
      {M(MatchType::kRegexMatch, "instance", "i-(1|22|119)")},
      {M(MatchType::kEqual, "job", "nope")},
      {M(MatchType::kRegexNoMatch, "__name__", "up|http_requests_total")},
  };
  return q;
}

TEST_F(StoreTest, LeavesLabelsOutLikeTheLocalBlocks) {
  // without_replica_labels: external ("cluster") and series labels ("env", "job") are left out;
  // series then equal across blocks (clusters a and b) become one, chunks of both in time order.
  auto store = NewStore();
  auto ref = Reference();
  for (const std::vector<std::string>& without :
       {std::vector<std::string>{"cluster"}, {"env"}, {"cluster", "job"}}) {
    for (const auto& m : Queries()) {
      storeapi::SeriesQuery q{m, 0, 4 * kH, 0, false, without};
      auto want = Collect(*ref, q);
      auto got = Collect(*store, q);
      EXPECT_EQ(got, want) << "matchers " << m.size() << " first " << m[0].name() << " without "
                           << without[0];
      for (size_t i = 0; i < got.size(); i++) {
        for (const auto& name : without) {
          EXPECT_EQ(got[i].first.find(name + "="), std::string::npos) << got[i].first;
        }
      }
    }
  }
  // Series i-0 and i-1 of cluster b equal those of cluster a (two blocks) and of the plain block
  // once "cluster" is left out: one series each, with the chunks of all four blocks.
  auto merged = Collect(
      *store,
      {{M(MatchType::kRegexMatch, "instance", "i-(0|1)")}, 0, 4 * kH, 0, false, {"cluster"}});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].second.size(), 4u * Collect(*store,
                                                  {M(MatchType::kEqual, "instance", "i-0"),
                                                   M(MatchType::kEqual, "cluster", "b")},
                                                  0, 4 * kH)[0]
                                              .second.size());
}

TEST_F(StoreTest, AnswersExactlyLikeTheLocalBlocks) {
  auto store = NewStore();
  EXPECT_TRUE(warnings_.empty());
  EXPECT_EQ(store->NumBlocks(), 4u);
  auto ref = Reference();
  for (const auto& [mint, maxt] : std::vector<std::pair<int64_t, int64_t>>{
           {0, 4 * kH}, {kH, 3 * kH - 1}, {2 * kH, 2 * kH}, {5 * kH, 6 * kH}}) {
    for (const auto& m : Queries()) {
      auto want = Collect(*ref, m, mint, maxt);
      auto got = Collect(*store, m, mint, maxt);
      EXPECT_EQ(got, want) << "matchers " << m.size() << " first " << m[0].name() << " range "
                           << mint << ".." << maxt;
    }
  }
  // Same label names and values, with and without matchers.
  EXPECT_EQ(*store->LabelNames({}, 0, 4 * kH), *ref->LabelNames({}, 0, 4 * kH));
  EXPECT_EQ(*store->LabelValues("cluster", {}, 0, 4 * kH), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*store->LabelValues("job", {M(MatchType::kEqual, "cluster", "b")}, 0, 4 * kH),
            *ref->LabelValues("job", {M(MatchType::kEqual, "cluster", "b")}, 0, 4 * kH));
  auto info = store->Info();
  EXPECT_EQ(info.min_time, ref->Info().min_time);
  EXPECT_EQ(info.max_time, ref->Info().max_time);
  EXPECT_EQ(info.label_sets.size(), 3u);  // {}, {cluster=a}, {cluster=b}
  // Nothing was downloaded whole: only meta.json files (kept in meta-syncer/) and ranged reads.
  size_t metas = 0;
  for (const auto& e : fs::recursive_directory_iterator(tmp_.path() + "/data")) {
    if (!e.is_regular_file()) continue;
    if (e.path().parent_path().parent_path().filename() == "meta-syncer") {
      EXPECT_EQ(e.path().filename(), "meta.json") << e.path();
      metas++;
      continue;
    }
    EXPECT_EQ(e.path().filename(), "index-header") << e.path();
  }
  EXPECT_EQ(metas, 4u);
  EXPECT_EQ(MetricValue(metrics_, "thanos_bucket_store_blocks_loaded"), 4);
  EXPECT_EQ(MetricValue(metrics_, "thanos_bucket_store_block_loads_total"), 4);
}

// --store.enable-lazy-expanded-postings: the same answers, with the postings of large matchers
// left unread where the block's series are small (its meta.json index_stats), and the exact
// references cached for the next request.
TEST_F(StoreTest, LazyExpandedPostingsAnswerTheSame) {
  AddBlock(0, 2 * kH, 120, Labels{{"cluster", "c"}}, /*series_max_size=*/16);
  BucketStoreOptions opts;
  opts.lazy_expanded_postings = true;
  auto cache = std::shared_ptr<IndexCache>(NewInMemoryIndexCache(64 << 20, 1 << 20, &metrics_));
  auto store = NewStore(opts, cache);
  auto ref = Reference();
  std::vector<Matchers> queries = Queries();
  // One series by instance, then a large job matcher and a large negative one: lazy.
  queries.push_back(
      {M(MatchType::kEqual, "instance", "i-7"), M(MatchType::kRegexMatch, "job", "j-.*")});
  queries.push_back({M(MatchType::kEqual, "instance", "i-8"), M(MatchType::kEqual, "job", "j-0"),
                     M(MatchType::kNotEqual, "job", "j-5")});
  for (int round = 0; round < 2; round++) {  // the second from the cache
    for (const auto& m : queries) {
      EXPECT_EQ(Collect(*store, m, 0, 4 * kH), Collect(*ref, m, 0, 4 * kH))
          << "round " << round << " matchers " << m.size() << " first " << m[0].String();
    }
  }
  EXPECT_GT(MetricValue(metrics_, "thanos_bucket_store_lazy_expanded_postings_total"), 0);
  EXPECT_GT(MetricValue(metrics_, "thanos_bucket_store_lazy_expanded_posting_size_bytes_total"), 0);
  // i-8 is in job j-1, so its one series was read and filtered out by the lazy job matcher.
  EXPECT_GT(MetricValue(metrics_,
                        "thanos_bucket_store_lazy_expanded_posting_series_overfetched_size_bytes_"
                        "total"),
            0);
}

// --store.index-header-lazy-download-strategy=lazy: no index-header is built until a query needs
// the block; then it is, and the answer is the same.
TEST_F(StoreTest, LazyIndexHeaderDownloadWaitsForTheFirstQuery) {
  BucketStoreOptions opts;
  opts.lazy_index_header_download = true;
  auto store = NewStore(opts);
  EXPECT_EQ(store->NumBlocks(), 4u);
  auto headers = [&] {
    int n = 0;
    for (const auto& e : fs::recursive_directory_iterator(tmp_.path() + "/data"))
      n += e.path().filename() == "index-header";
    return n;
  };
  EXPECT_EQ(headers(), 0);
  // cluster="b" rules out cluster a's blocks by their external labels; the block without
  // external labels has to look in its index.
  const Matchers m = {M(MatchType::kEqual, "cluster", "b")};
  auto ref = Reference();
  EXPECT_EQ(Collect(*store, m, 0, 4 * kH), Collect(*ref, m, 0, 4 * kH));
  EXPECT_EQ(headers(), 2);
  EXPECT_EQ(Collect(*store, Queries()[0], 0, 4 * kH), Collect(*ref, Queries()[0], 0, 4 * kH));
  EXPECT_EQ(headers(), 4);
}

TEST_F(StoreTest, IndexCacheSavesIndexReads) {
  auto cache = std::shared_ptr<IndexCache>(NewInMemoryIndexCache(64 << 20, 1 << 20, &metrics_));
  auto store = NewStore({}, cache);
  const Matchers m = {M(MatchType::kRegexMatch, "job", "j-[12]")};
  auto first = Collect(*store, m, 0, 4 * kH);
  const int index_reads = bucket_->index_ranges.load();
  const int chunk_reads = bucket_->chunk_ranges.load();
  EXPECT_GT(chunk_reads, 0);
  auto second = Collect(*store, m, 0, 4 * kH);
  EXPECT_EQ(second, first);
  EXPECT_EQ(bucket_->index_ranges.load(), index_reads) << "postings and series came from cache";
  EXPECT_GT(bucket_->chunk_ranges.load(), chunk_reads);
  EXPECT_GT(MetricValue(metrics_, "thanos_store_index_cache_hits_total{item_type=\"Series\"}"), 0);
  // The same matchers again: each block's series references come whole from the cache.
  EXPECT_GT(
      MetricValue(metrics_, "thanos_store_index_cache_hits_total{item_type=\"ExpandedPostings\"}"),
      0);
  EXPECT_EQ(MetricValue(metrics_, "thanos_store_index_cache_hits_total{item_type=\"Postings\"}"),
            0);
  // Other matchers over the same label values: their postings lists come from the cache.
  const Matchers other = {M(MatchType::kRegexMatch, "job", "j-1|j-2")};
  EXPECT_EQ(Collect(*store, other, 0, 4 * kH), first);
  EXPECT_EQ(bucket_->index_ranges.load(), index_reads);
  EXPECT_GT(MetricValue(metrics_, "thanos_store_index_cache_hits_total{item_type=\"Postings\"}"),
            0);
}

TEST_F(StoreTest, EnabledItemsLimitWhatIsCached) {
  auto cache = NewIndexCacheFromConfig(
      "type: IN-MEMORY\nconfig:\n  max_size: 64MB\n  enabled_items: [Series]\n", 0, &metrics_);
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  auto store = NewStore({}, std::shared_ptr<IndexCache>(std::move(*cache)));
  const Matchers m = {M(MatchType::kRegexMatch, "job", "j-[12]")};
  auto first = Collect(*store, m, 0, 4 * kH);
  const int index_reads = bucket_->index_ranges.load();
  EXPECT_EQ(Collect(*store, m, 0, 4 * kH), first);
  EXPECT_GT(bucket_->index_ranges.load(), index_reads) << "postings are read again";
  EXPECT_GT(MetricValue(metrics_, "thanos_store_index_cache_hits_total{item_type=\"Series\"}"), 0);
  // Nothing else was ever added (the series are not absent: -1 means no such series).
  EXPECT_GT(MetricValue(metrics_, "thanos_store_index_cache_items{item_type=\"Series\"}"), 0);
  EXPECT_EQ(MetricValue(metrics_, "thanos_store_index_cache_items{item_type=\"Postings\"}"), -1);
  EXPECT_EQ(MetricValue(metrics_, "thanos_store_index_cache_items{item_type=\"ExpandedPostings\"}"),
            -1);

  Registry r;
  auto bad = NewIndexCacheFromConfig(
      "type: IN-MEMORY\nconfig:\n  enabled_items: [Postings, Chunks]\n", 0, &r);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unsupported item type \"Chunks\""), std::string::npos)
      << bad.status().ToString();
}

TEST(ExpandedPostingsTest, RefsRoundTripAndDamageIsRefused) {
  const tsdb::Postings refs = {0, 1, 7, 300, 70000, UINT32_MAX};
  auto back = DecodeRefs(EncodeRefs(refs));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, refs);
  EXPECT_TRUE(DecodeRefs(EncodeRefs({})).ok());
  std::string enc = EncodeRefs(refs);
  EXPECT_FALSE(DecodeRefs(enc.substr(0, enc.size() - 1)).ok());       // truncated
  EXPECT_FALSE(DecodeRefs(enc + "x").ok());                           // trailing bytes
  EXPECT_FALSE(DecodeRefs(std::string("\x02\x05\x00", 3)).ok());      // not increasing
  EXPECT_FALSE(DecodeRefs(std::string("\xff\xff\xff\x0f", 4)).ok());  // count beyond the bytes
  // Found by index_fuzz: a delta near 2^64 wrapped around to a smaller reference.
  const std::string wrap("\x04\xff\x11\xff\xff\xff\x23\x07\xf2\xb5\xff\xff\xff\xff\xff\xff\xff\x01",
                         18);
  EXPECT_FALSE(DecodeRefs(wrap).ok());
}

// A cache that answers every key with bytes that are no index entry (a shared or damaged cache).
class GarbageCache : public IndexCache {
 public:
  std::vector<std::optional<std::string>> Fetch(CacheItem,
                                                const std::vector<std::string>& keys) override {
    return std::vector<std::optional<std::string>>(keys.size(), std::string("\x05garbage"));
  }
  void Store(CacheItem, const std::string&, std::string) override {}
};

TEST_F(StoreTest, DamagedCacheEntriesAreReadAgainFromTheBucket) {
  auto store = NewStore({}, std::make_shared<GarbageCache>());
  const Matchers m = {M(MatchType::kRegexMatch, "job", "j-[12]")};
  std::vector<std::string> warnings;
  EXPECT_EQ(Collect(*store, m, 0, 4 * kH, &warnings), Collect(*Reference(), m, 0, 4 * kH));
  EXPECT_TRUE(warnings.empty());
  EXPECT_GT(bucket_->index_ranges.load(), 0);
}

TEST_F(StoreTest, InMemoryCacheEvictsLeastRecentlyUsed) {
  Registry r;
  auto cache = NewInMemoryIndexCache(100, 60, &r);
  cache->Store(CacheItem::kSeries, "k1", std::string(40, 'a'));
  cache->Store(CacheItem::kSeries, "k2", std::string(40, 'b'));
  EXPECT_TRUE(cache->Fetch(CacheItem::kSeries, {"k1"})[0].has_value());  // k1 now most recent
  cache->Store(CacheItem::kSeries, "k3", std::string(40, 'c'));          // evicts k2
  auto got = cache->Fetch(CacheItem::kSeries, {"k1", "k2", "k3"});
  EXPECT_TRUE(got[0].has_value());
  EXPECT_FALSE(got[1].has_value());
  EXPECT_TRUE(got[2].has_value());
  cache->Store(CacheItem::kSeries, "big", std::string(70, 'x'));  // above max_item_size
  EXPECT_FALSE(cache->Fetch(CacheItem::kSeries, {"big"})[0].has_value());
  EXPECT_EQ(MetricValue(r, "thanos_store_index_cache_items_evicted_total{item_type=\"Series\"}"),
            1);
  EXPECT_EQ(MetricValue(r, "thanos_store_index_cache_items_overflowed_total{item_type=\"Series\"}"),
            1);
  EXPECT_EQ(MetricValue(r, "thanos_store_index_cache_requests_total{item_type=\"Series\"}"), 5);
  EXPECT_EQ(MetricValue(r, "thanos_store_index_cache_hits_total{item_type=\"Series\"}"), 3);
}

TEST_F(StoreTest, CorruptChunksAreSkippedWithAWarning) {
  auto store = NewStore();
  // Damage cluster b's chunk data in the bucket (past the segment header).
  const std::string seg = tmp_.path() + "/bucket/" + b1_ + "/chunks/000001";
  auto data = ReadFile(seg);
  ASSERT_TRUE(data.ok());
  for (size_t i = 100; i < data->size(); i += 50) (*data)[i] ^= 0x5a;
  ASSERT_TRUE(WriteFileAtomic(seg, *data).ok());
  std::vector<std::string> warnings;
  auto got = Collect(*store, {M(MatchType::kRegexMatch, "__name__", ".+")}, 0, 4 * kH, &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("block " + b1_ + ": chunks/000001 at offset "), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[0].find("checksum mismatch"), std::string::npos) << warnings[0];
  // Everything else is served in full: the reference without cluster b.
  auto want = Collect(*Reference(), {M(MatchType::kNotEqual, "cluster", "b")}, 0, 4 * kH);
  EXPECT_EQ(got, want);
  EXPECT_EQ(MetricValue(metrics_, "strata_bucket_store_block_read_failures_total"), 1);
}

TEST_F(StoreTest, TruncatedIndexIsNotLoadedAndTheRestIsServed) {
  const std::string index = tmp_.path() + "/bucket/" + a2_ + "/index";
  // Replaced by a truncated object, as a broken upload leaves it. (Not truncated in place: the
  // FILESYSTEM bucket hard-links uploads, so that would truncate the uploaded file too.)
  const std::string whole = *ReadFile(index);
  ASSERT_TRUE(WriteFileAtomic(index, whole.substr(0, whole.size() / 2)).ok());
  auto store = NewStore();
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("load block " + a2_), std::string::npos) << warnings_[0];
  EXPECT_NE(warnings_[0].find("table of contents"), std::string::npos) << warnings_[0];
  EXPECT_EQ(store->NumBlocks(), 3u);
  EXPECT_EQ(MetricValue(metrics_, "thanos_bucket_store_block_load_failures_total"), 1);
  EXPECT_FALSE(fs::exists(tmp_.path() + "/data/" + a2_ + "/index-header"));
  EXPECT_EQ(Collect(*store, {M(MatchType::kEqual, "cluster", "b")}, 0, 4 * kH),
            Collect(*Reference(), {M(MatchType::kEqual, "cluster", "b")}, 0, 4 * kH));
  // Retried at every sync; served once repaired.
  ASSERT_TRUE(WriteFileAtomic(index, *ReadFile(tmp_.path() + "/local/" + a2_ + "/index")).ok());
  auto w = store->Sync();
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w->empty());
  EXPECT_EQ(store->NumBlocks(), 4u);
}

TEST_F(StoreTest, SelectsBlocksByTimeRelabelAndDeletionMarks) {
  BucketStoreOptions opts;
  auto cfg = relabel::ParseConfigs("- action: keep\n  source_labels: [cluster]\n  regex: b\n");
  ASSERT_TRUE(cfg.ok());
  opts.selector.relabel = *cfg;
  EXPECT_EQ(NewStore(opts)->NumBlocks(), 1u);

  opts = {};
  opts.selector.min_time = 2 * kH;  // blocks ending at or before 2h are out
  auto store = NewStore(opts);
  EXPECT_EQ(store->NumBlocks(), 2u);  // a2 and the plain block
  EXPECT_FALSE(fs::exists(tmp_.path() + "/data/" + a1_)) << "state of unserved blocks is removed";

  ASSERT_TRUE(block::MarkForDeletion(*bucket_, plain_, "test").ok());
  EXPECT_EQ(NewStore()->NumBlocks(), 4u);  // marked just now: still served for 24h
  opts = {};
  opts.ignore_deletion_marks_delay_ms = 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(NewStore(opts)->NumBlocks(), 3u);

  opts = {};
  opts.consistency_delay_ms = 3600 * 1000;  // every block here was made just now
  EXPECT_EQ(NewStore(opts)->NumBlocks(), 0u);
}

TEST_F(StoreTest, LimitsGiveClearErrors) {
  BucketStoreOptions opts;
  opts.max_series = 50;
  Status st;
  Collect(*NewStore(opts), {M(MatchType::kRegexMatch, "__name__", ".+")}, 0, 4 * kH, nullptr, &st);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("exceeded series limit: limit 50 violated"), std::string::npos)
      << st.ToString();
  opts = {};
  opts.max_samples = 1000;
  Collect(*NewStore(opts), {M(MatchType::kEqual, "__name__", "up")}, 0, 4 * kH, nullptr, &st);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("exceeded samples limit: limit 1000 violated"), std::string::npos)
      << st.ToString();
  opts = {};
  opts.chunk_pool_bytes = 100;
  Collect(*NewStore(opts), {M(MatchType::kEqual, "__name__", "up")}, 0, 4 * kH, nullptr, &st);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("chunk pool exhausted"), std::string::npos) << st.ToString();
  // --store.grpc.downloaded-bytes-limit: the postings and series alone exceed 100 bytes; a
  // limit above what the call reads lets it through.
  opts = {};
  opts.max_downloaded_bytes = 100;
  Collect(*NewStore(opts), {M(MatchType::kEqual, "__name__", "up")}, 0, 4 * kH, nullptr, &st);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("exceeded bytes limit while fetching series: limit 100 violated"),
            std::string::npos)
      << st.ToString();
  opts.max_downloaded_bytes = 100 << 20;
  auto got =
      Collect(*NewStore(opts), {M(MatchType::kEqual, "__name__", "up")}, 0, 4 * kH, nullptr, &st);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_FALSE(got.empty());
}

TEST_F(StoreTest, IdleIndexHeadersAreUnloadedAndReloadedOnUse) {
  BucketStoreOptions opts;
  opts.index_header_idle_ms = 1;
  opts.series_batch_size = 7;  // many batches: the merge across blocks must still be exact
  auto store = NewStore(opts);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  store->UnloadIdle();
  for (const auto& b : store->Blocks()) EXPECT_FALSE(b->header_loaded());
  EXPECT_EQ(MetricValue(metrics_, "thanos_bucket_store_indexheader_lazy_unload_total"), 4);
  const Matchers m = {M(MatchType::kRegexMatch, "__name__", ".+")};
  EXPECT_EQ(Collect(*store, m, 0, 4 * kH), Collect(*Reference(), m, 0, 4 * kH));
  for (const auto& b : store->Blocks()) EXPECT_TRUE(b->header_loaded());
}

TEST(IndexCacheConfigTest, ParsesThanosConfigs) {
  Registry r;
  EXPECT_TRUE(NewIndexCacheFromConfig("", 1 << 20, &r).ok());
  EXPECT_TRUE(NewIndexCacheFromConfig("type: IN-MEMORY\nconfig:\n  max_size: 10MB\n"
                                      "  max_item_size: 1MB\n",
                                      1 << 20, &r)
                  .ok());
  EXPECT_EQ(MetricValue(r, "thanos_store_index_cache_max_size_bytes"), 10 << 20);
  struct Case {
    const char* yaml;
    const char* want;
  } bad[] = {
      {"type: REDIS\nconfig: {addr: x}\n", "type \"REDIS\" is not supported"},
      {"type: IN-MEMORY\nconfig:\n  max_size: lots\n", "max_size"},
      {"type: IN-MEMORY\nconfig:\n  bogus: 1\n", "unknown field \"bogus\""},
      {"type: MEMCACHED\nconfig: {}\n", "addresses is required"},
      {"type: MEMCACHED\nconfig:\n  addresses: [\"nohost\"]\n  timeout: soon\n", "timeout"},
  };
  for (const auto& c : bad) {
    auto got = NewIndexCacheFromConfig(c.yaml, 1 << 20, &r);
    ASSERT_FALSE(got.ok()) << c.yaml;
    EXPECT_NE(got.status().message().find(c.want), std::string::npos) << got.status().ToString();
  }
}

// A real memcached (Debian's memcached) as the index cache.
class MemcachedTest : public StoreTest {
 protected:
  void SetUp() override {
    if (!cache::MemcachedProcess::Installed()) GTEST_SKIP() << "memcached is not installed";
    StoreTest::SetUp();
    std::string err;
    ASSERT_TRUE(memcached_.Start(&err)) << err;
  }
  cache::MemcachedProcess memcached_;
};

TEST_F(MemcachedTest, ServesIndexReadsFromMemcached) {
  const std::string yaml =
      "type: MEMCACHED\nconfig:\n  addresses: [\"" + memcached_.address() + "\"]\n  timeout: 1s\n";
  auto cache = NewIndexCacheFromConfig(yaml, 0, &metrics_);
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  auto store = NewStore({}, std::shared_ptr<IndexCache>(std::move(*cache)));
  const Matchers m = {M(MatchType::kEqual, "__name__", "up")};
  auto first = Collect(*store, m, 0, 4 * kH);
  // Writes are asynchronous: ask again until the index reads are answered by memcached.
  int before = 0;
  for (int i = 0; i < 50; i++) {
    before = bucket_->index_ranges.load();
    EXPECT_EQ(Collect(*store, m, 0, 4 * kH), first);
    if (bucket_->index_ranges.load() == before) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(bucket_->index_ranges.load(), before) << "index reads still go to the bucket";
  EXPECT_GT(MetricValue(metrics_, "thanos_store_index_cache_hits_total{item_type=\"Series\"}"), 0);
  EXPECT_GT(MetricValue(metrics_, "thanos_memcached_operations_total{operation=\"getmulti\"}"), 0);

  // memcached going away turns into misses: queries still answer, from the bucket.
  memcached_.Kill();
  EXPECT_EQ(Collect(*store, m, 0, 4 * kH), first);
  EXPECT_GT(bucket_->index_ranges.load(), before);
}

}  // namespace
}  // namespace strata::store
