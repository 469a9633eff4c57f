#include "tools/rewrite.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include <re2/re2.h>
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
    if (!merged.empty() && x.first <= merged.back().second + 1) {
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

// Reads every series of the block, relabelled (series that end up with the same labels are
// merged, their samples deduplicated by timestamp), sorted by labels.
Result<std::vector<OutSeries>> ReadSeries(const tsdb::Block& b, const RewriteOptions& opts,
                                          std::ostream& log) {
  STRATA_ASSIGN_OR_RETURN(tsdb::Postings all, b.index().ReadPostings("", ""));
  std::map<Labels, std::vector<Sample>> merged;  // relabelled series
  std::vector<OutSeries> out;
  for (uint32_t ref : all) {
    STRATA_ASSIGN_OR_RETURN(auto s, b.index().ReadSeries(ref));
    OutSeries o{s.labels, {}, {}};
    for (const auto& c : s.chunks) {
      STRATA_ASSIGN_OR_RETURN(tsdb::ChunkData d, b.chunks().Chunk(c.ref));
      if (d.encoding != 1) {
        return Status::Unsupported("series " + s.labels.String() +
                                   " has a non-XOR chunk; only float series can be rewritten");
      }
      o.ranges.emplace_back(c.min_time, c.max_time);
      o.chunks.emplace_back(d.data);
    }
    if (opts.relabels.empty()) {
      out.push_back(std::move(o));
      continue;
    }
    auto relabelled = relabel::Process(s.labels, opts.relabels);
    if (!relabelled || relabelled->empty()) {
      Intervals all;
      if (!o.ranges.empty()) all.push_back({o.ranges.front().first, o.ranges.back().second});
      log << "Deleted " << s.labels.String() << " " << FormatIntervals(all) << "\n";
      continue;
    }
    if (*relabelled != s.labels)
      log << "Relabelled " << s.labels.String() << " " << relabelled->String() << "\n";
    auto& samples = merged[*relabelled];
    for (const auto& c : o.chunks) STRATA_RETURN_IF_ERROR(Decode(c, &samples));
  }
  for (auto& [labels, samples] : merged) {
    std::stable_sort(samples.begin(), samples.end(),
                     [](const Sample& a, const Sample& b) { return a.t < b.t; });
    samples.erase(std::unique(samples.begin(), samples.end(),
                              [](const Sample& a, const Sample& b) { return a.t == b.t; }),
                  samples.end());
    OutSeries o{labels, {}, {}};
    Encode(samples, &o);
    out.push_back(std::move(o));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.labels < b.labels; });
  return out;
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
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<tsdb::Block> b,
                          tsdb::Block::Open((fs::path(opts.tmp_dir) / id).string()));
  const tsdb::BlockMeta& old = b->meta();
  if (!opts.prom_blocks && (!old.thanos || old.thanos->labels.empty()))
    return Status::InvalidArgument("empty external labels are not allowed for Thanos block.");
  const Ulid new_id = Ulid::New(NowMs());
  const fs::path new_dir = fs::path(opts.tmp_dir) / new_id.String();
  fs::create_directories(new_dir);
  std::ofstream change_log;
  std::ostringstream dry;  // a dry run also prints the changes
  std::ostream* log = &dry;
  if (opts.change_log) {
    change_log.open(new_dir / "change.log");
    log::Info("changelog will be available", {{"file", (new_dir / "change.log").string()}});
  }
  log::Info("starting rewrite for block", {{"source", id}, {"new", new_id.String()}});
  STRATA_ASSIGN_OR_RETURN(std::vector<OutSeries> series, ReadSeries(*b, opts, *log));
  std::vector<OutSeries> kept;
  for (auto& s : series) {
    bool dropped = false;
    STRATA_RETURN_IF_ERROR(ApplyDeletions(opts.deletions, &s, *log, &dropped));
    if (!dropped) kept.push_back(std::move(s));
  }
  if (change_log.is_open()) change_log << dry.str();
  if (opts.dry_run) {
    std::fputs(dry.str().c_str(), stderr);
    log::Info("dry run finished. Changes should be printed to stderr", {{"Block ID", id}});
    return Status::OK();
  }
  std::vector<std::string> symbols;
  for (const auto& s : kept) {
    for (const auto& l : s.labels) {
      symbols.push_back(l.name);
      symbols.push_back(l.value);
    }
  }
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  // The block is written beside its change log, then moved in under the new ULID.
  const fs::path out_parent = fs::path(opts.tmp_dir) / "out";
  fs::create_directories(out_parent);
  STRATA_ASSIGN_OR_RETURN(auto w, tsdb::SeriesWriter::Create(out_parent.string(), new_id, symbols));
  for (const auto& s : kept) {
    std::vector<tsdb::EncodedChunk> cs;
    for (size_t i = 0; i < s.chunks.size(); i++)
      cs.push_back({s.ranges[i].first, s.ranges[i].second, 1, s.chunks[i], std::nullopt});
    STRATA_RETURN_IF_ERROR(w->AddSeries(s.labels, cs));
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
  STRATA_RETURN_IF_ERROR(block::UploadBlock(bucket, (out_parent / new_id.String()).string(),
                                            nullptr, 1, opts.hash_func));
  log::Info("uploaded", {{"source", id}, {"new", new_id.String()}});
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
