#include "tsdb/series_writer.h"

#include <sys/stat.h>

#include <filesystem>

#include "base/encoding.h"
#include "base/file.h"
#include "tsdb/aggr_chunk.h"
#include "tsdb/tombstones.h"

namespace strata::tsdb {

SeriesWriter::SeriesWriter(std::string parent, Ulid ulid)
    : parent_(std::move(parent)),
      tmp_dir_(parent_ + "/" + ulid.String() + ".tmp-for-creation"),
      final_dir_(parent_ + "/" + ulid.String()),
      ulid_(ulid) {}

SeriesWriter::~SeriesWriter() {
  if (finished_) return;
  chunks_.reset();
  index_.reset();
  std::error_code ec;
  std::filesystem::remove_all(tmp_dir_, ec);
}

Result<std::unique_ptr<SeriesWriter>> SeriesWriter::Create(
    const std::string& parent_dir, Ulid ulid, const std::vector<std::string>& sorted_symbols) {
  std::unique_ptr<SeriesWriter> w(new SeriesWriter(parent_dir, ulid));
  std::error_code ec;
  std::filesystem::remove_all(w->tmp_dir_, ec);
  if (::mkdir(w->tmp_dir_.c_str(), 0755) != 0) return ErrnoStatus("mkdir", w->tmp_dir_);
  if (::mkdir((w->tmp_dir_ + "/chunks").c_str(), 0755) != 0)
    return ErrnoStatus("mkdir", w->tmp_dir_ + "/chunks");
  w->chunks_ = std::make_unique<ChunkWriter>(w->tmp_dir_ + "/chunks");
  STRATA_ASSIGN_OR_RETURN(w->index_, IndexWriter::Create(w->tmp_dir_ + "/index"));
  STRATA_RETURN_IF_ERROR(w->index_->AddSymbols(sorted_symbols));
  return w;
}

Status SeriesWriter::AddSeries(const Labels& labels, const std::vector<EncodedChunk>& chunks) {
  metas_.clear();
  for (const EncodedChunk& c : chunks) {
    STRATA_ASSIGN_OR_RETURN(uint64_t ref, chunks_->Write(c.encoding, c.data, c.crc));
    metas_.push_back(ChunkMeta{ref, c.min_time, c.max_time});
    // Every chunk encoding starts with its sample count as a big-endian uint16; an aggregate
    // chunk counts the samples of its count aggregate, as Thanos does.
    if (c.encoding == kAggrChunkEncoding)
      stats_.num_samples += AggrChunkSamples(c.data);
    else if (c.data.size() >= 2)
      stats_.num_samples += LoadBe16(c.data.data());
  }
  stats_.num_chunks += chunks.size();
  stats_.num_series++;
  return index_->AddSeries(labels, metas_);
}

Result<BlockMeta> SeriesWriter::Finish(BlockMeta meta) {
  STRATA_RETURN_IF_ERROR(chunks_->Close());
  STRATA_RETURN_IF_ERROR(index_->Close());
  meta.ulid = ulid_;
  meta.stats = stats_;
  if (meta.thanos) meta.thanos->segment_files = chunks_->segment_names();
  STRATA_RETURN_IF_ERROR(Tombstones().WriteToDir(tmp_dir_));
  STRATA_RETURN_IF_ERROR(WriteBlockMeta(tmp_dir_, meta));
  STRATA_RETURN_IF_ERROR(SyncDir(tmp_dir_ + "/chunks"));
  STRATA_RETURN_IF_ERROR(SyncDir(tmp_dir_));
  if (::rename(tmp_dir_.c_str(), final_dir_.c_str()) != 0) return ErrnoStatus("rename", tmp_dir_);
  finished_ = true;
  STRATA_RETURN_IF_ERROR(SyncDir(parent_));
  return meta;
}

}  // namespace strata::tsdb
