#include "store/bucket_store.h"

#include <filesystem>
#include <set>

#include "block/block.h"
#include "tsdb/block.h"

namespace strata::store {
namespace fs = std::filesystem;

BucketStore::BucketStore(std::shared_ptr<objstore::Bucket> bucket, BucketStoreOptions opts)
    : bucket_(std::move(bucket)), opts_(std::move(opts)), current_(storeapi::NewBlocksSource({})) {}

std::shared_ptr<storeapi::SeriesSource> BucketStore::Current() const {
  std::lock_guard<std::mutex> l(mu_);
  return current_;
}

size_t BucketStore::NumBlocks() const {
  std::lock_guard<std::mutex> l(mu_);
  return num_blocks_;
}

Result<std::vector<std::string>> BucketStore::Sync() {
  std::vector<std::string> warnings;
  STRATA_ASSIGN_OR_RETURN(std::vector<block::BucketBlock> remote, block::FetchBlocks(*bucket_));
  std::error_code ec;
  fs::create_directories(opts_.data_dir, ec);
  if (ec) return Status::IOError("create " + opts_.data_dir + ": " + ec.message());
  std::set<std::string> wanted;
  for (const auto& b : remote) {
    if (b.partial || !b.error.empty() || b.marked_for_deletion) continue;
    if (b.meta.max_time <= opts_.min_time || b.meta.min_time > opts_.max_time) continue;
    wanted.insert(b.id);
    if (fs::exists(fs::path(opts_.data_dir) / b.id / "meta.json")) continue;
    Status st = block::DownloadBlock(*bucket_, b.id, opts_.data_dir);
    if (!st.ok()) {
      warnings.push_back("block " + b.id + ": " + st.ToString());
      wanted.erase(b.id);
    }
  }
  std::vector<std::shared_ptr<const tsdb::Block>> blocks;
  for (const auto& e : fs::directory_iterator(opts_.data_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!wanted.contains(name)) {
      fs::remove_all(e.path(), ec);  // gone from the bucket, or a leftover temporary download
      continue;
    }
    auto b = tsdb::Block::Open(e.path().string());
    if (!b.ok()) {
      warnings.push_back("block " + name + ": " + b.status().ToString());
      continue;
    }
    blocks.push_back(std::move(*b));
  }
  auto source = std::shared_ptr<storeapi::SeriesSource>(storeapi::NewBlocksSource(blocks));
  std::lock_guard<std::mutex> l(mu_);
  current_ = std::move(source);
  num_blocks_ = blocks.size();
  return warnings;
}

storeapi::SourceInfo BucketStore::Info() const { return Current()->Info(); }

Status BucketStore::Series(const Matchers& m, int64_t mint, int64_t maxt, bool skip_chunks,
                           const storeapi::SeriesFn& fn) {
  return Current()->Series(m, mint, maxt, skip_chunks, fn);
}

Result<std::vector<std::string>> BucketStore::LabelNames(const Matchers& m, int64_t mint,
                                                         int64_t maxt) {
  return Current()->LabelNames(m, mint, maxt);
}

Result<std::vector<std::string>> BucketStore::LabelValues(const std::string& name,
                                                          const Matchers& m, int64_t mint,
                                                          int64_t maxt) {
  return Current()->LabelValues(name, m, mint, maxt);
}

}  // namespace strata::store
