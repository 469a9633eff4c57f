#include "tsdb/block.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>

#include "base/file.h"
#include "base/ulid.h"

namespace strata::tsdb {

Result<std::unique_ptr<Block>> Block::Open(const std::string& dir) {
  auto b = std::unique_ptr<Block>(new Block());
  b->dir_ = dir;
  STRATA_ASSIGN_OR_RETURN(b->meta_, ReadBlockMeta(dir));
  STRATA_ASSIGN_OR_RETURN(b->index_, IndexReader::Open(dir + "/index"));
  STRATA_ASSIGN_OR_RETURN(b->chunks_, ChunkReader::Open(dir + "/chunks"));
  STRATA_ASSIGN_OR_RETURN(b->tombstones_, Tombstones::ReadFromDir(dir));
  return b;
}

Result<std::vector<SeriesChunks>> Block::Select(const Matchers& matchers, int64_t mint,
                                                int64_t maxt) const {
  std::vector<SeriesChunks> out;
  if (maxt < meta_.min_time || mint >= meta_.max_time) return out;
  STRATA_ASSIGN_OR_RETURN(Postings refs, index_->PostingsForMatchers(matchers));
  out.reserve(refs.size());
  for (uint32_t ref : refs) {
    STRATA_ASSIGN_OR_RETURN(IndexReader::Series s, index_->ReadSeries(ref));
    SeriesChunks sc;
    for (const ChunkMeta& c : s.chunks) {
      if (c.max_time >= mint && c.min_time <= maxt) sc.chunks.push_back(c);
    }
    if (sc.chunks.empty()) continue;
    if (const Intervals* del = tombstones_.Get(ref)) {
      sc.deleted = *del;
      // Drop chunks that lie entirely inside one deleted interval.
      std::erase_if(sc.chunks, [&](const ChunkMeta& c) {
        return std::any_of(del->begin(), del->end(), [&](const Interval& iv) {
          return iv.min_time <= c.min_time && c.max_time <= iv.max_time;
        });
      });
      if (sc.chunks.empty()) continue;
    }
    sc.labels = std::move(s.labels);
    out.push_back(std::move(sc));
  }
  return out;
}

bool ChunkSeriesIterator::OpenNextChunk() {
  while (next_chunk_ < series_->chunks.size()) {
    const ChunkMeta& m = series_->chunks[next_chunk_++];
    auto c = reader_->Chunk(m.ref);
    if (!c.ok()) {
      status_ = c.status().WithContext("series " + series_->labels.String());
      return false;
    }
    if (Status st = CheckChunkEncoding(c->encoding); !st.ok()) {
      status_ =
          st.WithContext("series " + series_->labels.String() + " chunk " + std::to_string(m.ref));
      return false;
    }
    it_.Reset(c->data);
    open_ = true;
    return true;
  }
  return false;
}

bool ChunkSeriesIterator::Deleted(int64_t t) const {
  for (const Interval& iv : series_->deleted) {
    if (iv.Contains(t)) return true;
  }
  return false;
}

bool ChunkSeriesIterator::Next() {
  while (status_.ok()) {
    if (open_ && it_.Next()) {
      int64_t t = it_.t();
      if (t < mint_) continue;
      if (t > maxt_) {
        open_ = false;
        next_chunk_ = series_->chunks.size();  // chunks are in time order: nothing later fits
        return false;
      }
      if (!series_->deleted.empty() && Deleted(t)) continue;
      return true;
    }
    if (open_ && it_.failed()) {
      status_ = it_.status().WithContext("series " + series_->labels.String());
      return false;
    }
    open_ = false;
    if (!OpenNextChunk()) return false;
  }
  return false;
}

bool ChunkSeriesIterator::Seek(int64_t t) {
  if (t > mint_) mint_ = t;
  if (open_ && it_.t() >= mint_) return true;  // the current sample already qualifies
  // Skip whole chunks that end before t.
  while (!open_ && next_chunk_ < series_->chunks.size() &&
         series_->chunks[next_chunk_].max_time < mint_) {
    next_chunk_++;
  }
  return Next();
}

Result<std::vector<std::string>> ListBlockDirs(const std::string& data_dir) {
  DIR* d = ::opendir(data_dir.c_str());
  if (d == nullptr) return ErrnoStatus("open data directory", data_dir);
  std::vector<std::string> out;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (!Ulid::IsValid(name)) continue;
    std::string path = data_dir + "/" + std::string(name);
    struct stat st;
    if (::stat((path + "/meta.json").c_str(), &st) == 0) out.push_back(path);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace strata::tsdb
