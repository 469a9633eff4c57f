#include "tools/rewrite.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include <re2/re2.h>
#include "base/file.h"
#include "base/log.h"
#include "base/timestamp.h"
#include "base/ulid.h"
#include "block/block.h"
#include "promql/parser.h"
#include "tsdb/block.h"
#include "tsdb/meta.h"
#include "tsdb/series_writer.h"
#include "tsdb/xor_chunk.h"

namespace strata::tools {
namespace {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using Intervals = std::vector<std::pair<int64_t, int64_t>>;

struct Sample {
  int64_t t;
  double v;
};

// One output series: labels and encoded chunks (owned here).
struct OutSeries {
  Labels labels;
  std::vector<std::pair<int64_t, int64_t>> ranges;  // per chunk
  std::vector<std::string> chunks;
};

Status Decode(std::string_view data, std::vector<Sample>* out) {
  tsdb::XorIterator it(data);
  while (it.Next()) out->push_back({it.t(), it.v()});
  return it.status();
}

// Samples in chunks of at most 120, as Prometheus cuts them.
void Encode(const std::vector<Sample>& s, OutSeries* out) {
  for (size_t i = 0; i < s.size(); i += 120) {
    const size_t n = std::min<size_t>(120, s.size() - i);
    std::vector<int64_t> ts(n);
    std::vector<double> vs(n);
    for (size_t j = 0; j < n; j++) {
      ts[j] = s[i + j].t;
      vs[j] = s[i + j].v;
    }
    out->ranges.emplace_back(ts.front(), ts.back());
    out->chunks.push_back(tsdb::EncodeXorChunk(ts.data(), vs.data(), n));
  }
}

// Go's %v of []Interval: [{1 2} {3 4}].
std::string FormatIntervals(const Intervals& iv) {
  std::string s = "[";
  for (size_t i = 0; i < iv.size(); i++)
    s += (i ? " {" : "{") + std::to_string(iv[i].first) + " " + std::to_string(iv[i].second) + "}";
  return s + "]";
}

// Adds [a, b] to a sorted union of intervals, merging overlapping and adjacent ones.
void AddInterval(Intervals* iv, std::pair<int64_t, int64_t> n) {
  iv->push_back(n);
  std::sort(iv->begin(), iv->end());
  Intervals merged;
  for (const auto& x : *iv) {
    // Adjacent ranges merge too (an end at INT64_MAX has nothing after it to overflow into).
    if (!merged.empty() && (merged.back().second == std::numeric_limits<int64_t>::max() ||
                            x.first <= merged.back().second + 1)) {
      merged.back().second = std::max(merged.back().second, x.second);
    } else {
      merged.push_back(x);
    }
  }
  *iv = std::move(merged);
}

bool InIntervals(const Intervals& iv, int64_t t) {
  for (const auto& [a, b] : iv)
    if (t >= a && t <= b) return true;
  return false;
}

// Thanos's deletions: a request applies when all its matchers match (a missing or empty
// label never does); one without intervals drops the series.
Status ApplyDeletions(const std::vector<DeletionRequest>& reqs, OutSeries* s, std::ostream& log,
                      bool* dropped) {
  *dropped = false;
  Intervals del;
  bool whole = false;
  for (const auto& r : reqs) {
    bool applies = std::all_of(r.matchers.begin(), r.matchers.end(), [&](const Matcher& m) {
      const std::string_view v = s->labels.Get(m.name());
      return !v.empty() && m.Matches(v);
    });
    if (!applies) continue;
    if (r.intervals.empty()) whole = true;
    for (const auto& i : r.intervals) AddInterval(&del, i);
  }
  if (whole) {
    Intervals all;
    if (!s->ranges.empty()) all.push_back({s->ranges.front().first, s->ranges.back().second});
    log << "Deleted " << s->labels.String() << " " << FormatIntervals(all) << "\n";
    *dropped = true;
    return Status::OK();
  }
  if (del.empty()) return Status::OK();
  OutSeries kept{s->labels, {}, {}};
  Intervals deleted;
  for (size_t c = 0; c < s->chunks.size(); c++) {
    const auto [lo, hi] = s->ranges[c];
    bool touches = false, inside = false;
    for (const auto& [a, b] : del) {
      touches |= lo <= b && hi >= a;
      inside |= a <= lo && hi <= b;
    }
    if (!touches) {
      kept.ranges.push_back(s->ranges[c]);
      kept.chunks.push_back(std::move(s->chunks[c]));
      continue;
    }
    for (const auto& [a, b] : del) {
      if (lo <= b && hi >= a) AddInterval(&deleted, {std::max(a, lo), std::min(b, hi)});
    }
    if (inside) continue;
    std::vector<Sample> samples, rest;
    STRATA_RETURN_IF_ERROR(Decode(s->chunks[c], &samples));
    for (const auto& x : samples)
      if (!InIntervals(del, x.t)) rest.push_back(x);
    Encode(rest, &kept);
  }
  if (!deleted.empty())
    log << "Deleted " << s->labels.String() << " " << FormatIntervals(deleted) << "\n";
  *s = std::move(kept);
  *dropped = s->chunks.empty();
  return Status::OK();
}

// Reads a series' chunks as they are stored.
Result<OutSeries> ReadStored(const tsdb::Block& b, uint32_t ref) {
  STRATA_ASSIGN_OR_RETURN(auto s, b.index().ReadSeries(ref));
  OutSeries o{s.labels, {}, {}};
  for (const auto& c : s.chunks) {
    STRATA_ASSIGN_OR_RETURN(tsdb::ChunkData d, b.chunks().Chunk(c.ref));
    if (d.encoding != static_cast<uint8_t>(tsdb::ChunkEncoding::kXor)) {
      return Status::Unsupported("series " + s.labels.String() +
                                 " has a non-XOR chunk; only float series can be rewritten");
    }
    o.ranges.emplace_back(c.min_time, c.max_time);
    o.chunks.emplace_back(d.data);
  }
  return o;
}

// Calls fn with each series to write, in label order. Without relabelling they stream one at a
// time; relabelled series are gathered first, since several may end up as one (merged, one
// sample per timestamp) and their order changes.
Status ForEachSeries(const tsdb::Block& b, const RewriteOptions& opts, std::ostream& log,
                     const std::function<Status(OutSeries&)>& fn) {
  STRATA_ASSIGN_OR_RETURN(tsdb::Postings all, b.index().ReadPostings("", ""));
  std::map<Labels, std::vector<Sample>> merged;
  for (uint32_t ref : all) {
    STRATA_ASSIGN_OR_RETURN(OutSeries o, ReadStored(b, ref));
    if (opts.relabels.empty()) {
      STRATA_RETURN_IF_ERROR(fn(o));
      continue;
    }
    auto relabelled = relabel::Process(o.labels, opts.relabels);
    if (!relabelled || relabelled->empty()) {
      Intervals all_time;
      if (!o.ranges.empty()) all_time.push_back({o.ranges.front().first, o.ranges.back().second});
      log << "Deleted " << o.labels.String() << " " << FormatIntervals(all_time) << "\n";
      continue;
    }
    if (*relabelled != o.labels)
      log << "Relabelled " << o.labels.String() << " " << relabelled->String() << "\n";
    auto& samples = merged[*relabelled];
    for (const auto& c : o.chunks) STRATA_RETURN_IF_ERROR(Decode(c, &samples));
  }
  for (auto& [labels, samples] : merged) {
    std::stable_sort(samples.begin(), samples.end(),
                     [](const Sample& x, const Sample& y) { return x.t < y.t; });
    samples.erase(std::unique(samples.begin(), samples.end(),
                              [](const Sample& x, const Sample& y) { return x.t == y.t; }),
                  samples.end());
    OutSeries o{labels, {}, {}};
    Encode(samples, &o);
    samples = {};
    STRATA_RETURN_IF_ERROR(fn(o));
  }
  return Status::OK();
}

Status WriteSeries(tsdb::SeriesWriter& w, const OutSeries& s) {
  std::vector<tsdb::EncodedChunk> cs;
  for (size_t i = 0; i < s.chunks.size(); i++)
    cs.push_back({s.ranges[i].first, s.ranges[i].second, 1, s.chunks[i], std::nullopt});
  return w.AddSeries(s.labels, cs);
}

Status WriteChangeLog(const fs::path& dir, const std::string& changes) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("create " + dir.string() + ": " + ec.message());
  log::Info("changelog will be available", {{"file", (dir / "change.log").string()}});
  return WriteFileAtomic((dir / "change.log").string(), changes);
}

// The thanos.rewrites entry, in the JSON Thanos writes (Go field names).
Json RewriteEntry(const tsdb::BlockMeta& old, const RewriteOptions& opts) {
  Json e = Json::object();
  Json sources = Json::array();
  for (const auto& s : old.compaction.sources) sources.push_back(s.String());
  if (!sources.empty()) e["sources"] = sources;
  Json dels = Json::array();
  for (const auto& d : opts.deletions) {
    Json ms = Json::array();
    for (const auto& m : d.matchers)
      ms.push_back(
          {{"Type", static_cast<int>(m.type())}, {"Name", m.name()}, {"Value", m.value()}});
    Json r = {{"matchers", ms}};
    if (!d.intervals.empty()) {
      Json iv = Json::array();
      for (const auto& [a, b] : d.intervals) iv.push_back({{"Mint", a}, {"Maxt", b}});
      r["intervals"] = iv;
    }
    if (!d.request_id.empty()) r["request_id"] = d.request_id;
    dels.push_back(r);
  }
  if (!dels.empty()) e["deletions_applied"] = dels;
  Json rels = Json::array();
  for (const auto& c : opts.relabels) {
    rels.push_back({{"SourceLabels", c.source_labels},
                    {"Separator", c.separator},
                    {"Regex", c.regex ? c.regex->pattern() : "^(?:(.*))$"},
                    {"Modulus", c.modulus},
                    {"TargetLabel", c.target_label},
                    {"Replacement", c.replacement},
                    {"Action", relabel::ActionName(c.action)}});
  }
  if (!rels.empty()) e["relabels_applied"] = rels;
  return e;
}

Status RewriteOne(objstore::Bucket& bucket, const std::string& id, const RewriteOptions& opts) {
  log::Info("downloading block", {{"source", id}});
  if (Status st = block::DownloadBlock(bucket, id, opts.tmp_dir); !st.ok())
    return st.WithContext("download " + id);
  const fs::path src_dir = fs::path(opts.tmp_dir) / id;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<tsdb::Block> b, tsdb::Block::Open(src_dir.string()));
  const tsdb::BlockMeta& old = b->meta();
  if (!opts.prom_blocks && (!old.thanos || old.thanos->labels.empty()))
    return Status::InvalidArgument("empty external labels are not allowed for Thanos block.");
  const Ulid new_id = Ulid::New(NowMs());
  const fs::path new_dir = fs::path(opts.tmp_dir) / new_id.String();
  log::Info("starting rewrite for block", {{"source", id}, {"new", new_id.String()}});
  // The block's symbols cover every series written (relabelling may add new ones).
  std::unique_ptr<tsdb::SeriesWriter> w;
  std::vector<OutSeries> relabelled;  // with relabelling: written once their symbols are known
  std::ostringstream changes;
  STRATA_RETURN_IF_ERROR(ForEachSeries(*b, opts, changes, [&](OutSeries& s) -> Status {
    bool dropped = false;
    STRATA_RETURN_IF_ERROR(ApplyDeletions(opts.deletions, &s, changes, &dropped));
    if (dropped || opts.dry_run) return Status::OK();
    if (!opts.relabels.empty()) {
      relabelled.push_back(std::move(s));
      return Status::OK();
    }
    if (!w) {
      const auto& sym = b->index().symbols();
      STRATA_ASSIGN_OR_RETURN(
          w, tsdb::SeriesWriter::Create(opts.tmp_dir, new_id,
                                        std::vector<std::string>(sym.begin(), sym.end())));
    }
    return WriteSeries(*w, s);
  }));
  if (!opts.relabels.empty() && !opts.dry_run) {
    std::vector<std::string> symbols;
    for (const auto& s : relabelled) {
      for (const auto& l : s.labels) {
        symbols.push_back(l.name);
        symbols.push_back(l.value);
      }
    }
    std::sort(symbols.begin(), symbols.end());
    symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
    STRATA_ASSIGN_OR_RETURN(w, tsdb::SeriesWriter::Create(opts.tmp_dir, new_id, symbols));
    for (const auto& s : relabelled) STRATA_RETURN_IF_ERROR(WriteSeries(*w, s));
  }
  if (opts.dry_run) {
    std::fputs(changes.str().c_str(), stderr);
    if (opts.change_log) STRATA_RETURN_IF_ERROR(WriteChangeLog(new_dir, changes.str()));
    log::Info("dry run finished. Changes should be printed to stderr", {{"Block ID", id}});
    return Status::OK();
  }
  if (!w) {  // every series was deleted: an empty block, as Thanos writes one
    STRATA_ASSIGN_OR_RETURN(w, tsdb::SeriesWriter::Create(opts.tmp_dir, new_id, {}));
  }
  log::Info("wrote new block after modifications; flushing", {{"source", id}});
  tsdb::BlockMeta m = old;
  m.compaction.sources = {new_id};
  if (!m.thanos) m.thanos.emplace();
  m.thanos->source = "bucket.rewrite";
  Json raw = Json::parse(old.original_json.empty() ? "{}" : old.original_json, nullptr, false);
  if (raw.is_discarded() || !raw.is_object()) raw = Json::object();
  raw["thanos"]["rewrites"].push_back(RewriteEntry(old, opts));
  m.original_json = raw.dump();
  STRATA_RETURN_IF_ERROR(w->Finish(m).status());
  log::Info("uploading new block", {{"source", id}, {"new", new_id.String()}});
  STRATA_RETURN_IF_ERROR(block::UploadBlock(bucket, new_dir.string(), nullptr, 1, opts.hash_func));
  log::Info("uploaded", {{"source", id}, {"new", new_id.String()}});
  // The change log goes with the local copy only (Thanos does not upload it either).
  if (opts.change_log) STRATA_RETURN_IF_ERROR(WriteChangeLog(new_dir, changes.str()));
  std::error_code ec;
  fs::remove_all(src_dir, ec);  // the original's download is done with
  if (opts.delete_blocks) {
    if (Status st = block::MarkForDeletion(bucket, id, "block rewritten"); !st.ok())
      log::Error("failed to mark block for deletion", {{"block", id}, {"err", st.ToString()}});
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<DeletionRequest>> ParseDeletionRequests(const std::string& yaml) {
  std::vector<DeletionRequest> out;
  try {
    YAML::Node root = YAML::Load(yaml);
    if (!root || root.IsNull()) return out;
    if (!root.IsSequence()) return Status::InvalidArgument("deletion requests: expected a list");
    for (const auto& n : root) {
      DeletionRequest r;
      for (const auto& kv : n) {
        const std::string k = kv.first.as<std::string>();
        if (k != "matchers" && k != "intervals" && k != "request_id")
          return Status::InvalidArgument("deletion requests: field " + k + " not found");
      }
      r.selector = n["matchers"].as<std::string>("");
      auto ms = promql::ParseMetricSelector(r.selector);
      if (!ms.ok()) return ms.status().WithContext("parse metric selector " + r.selector);
      r.matchers = std::move(*ms);
      for (const auto& i : n["intervals"]) {
        r.intervals.emplace_back(i["mint"].as<int64_t>(), i["maxt"].as<int64_t>());
      }
      r.request_id = n["request_id"].as<std::string>("");
      out.push_back(std::move(r));
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("deletion requests: ") + e.what());
  }
  return out;
}

Status RewriteBlocks(objstore::Bucket& bucket, const RewriteOptions& opts) {
  std::error_code ec;
  fs::remove_all(opts.tmp_dir, ec);  // as Thanos: a fresh working directory every run
  fs::create_directories(opts.tmp_dir, ec);
  if (ec) return Status::IOError("create " + opts.tmp_dir + ": " + ec.message());
  for (const auto& id : opts.ids) STRATA_RETURN_IF_ERROR(RewriteOne(bucket, id, opts));
  std::string ids;
  for (const auto& id : opts.ids) ids += (ids.empty() ? "" : ",") + id;
  log::Info("rewrite done", {{"IDs", ids}});
  return Status::OK();
}

}  // namespace strata::tools
