#include "tsdb/meta.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <map>
#include <set>
#include <type_traits>

#include "base/file.h"

namespace strata::tsdb {
namespace {

using Json = nlohmann::ordered_json;

// Typed access with errors naming the field; exceptions stay inside this file.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  Status Err(std::string_view field, std::string_view what) const {
    return Status::Corruption(std::string(source_) + ": field \"" + std::string(field) + "\" " +
                              std::string(what));
  }

  template <typename T>
  Status Get(const Json& obj, const char* field, T* out, bool required) const {
    auto it = obj.find(field);
    if (it == obj.end() || it->is_null()) {
      return required ? Err(field, "is missing") : Status::OK();
    }
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // Exact integers only: a float or an out-of-range value would convert with UB.
      if (it->is_number_unsigned()) {
        auto u = it->get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
          return Err(field, "is out of range");
        }
        *out = static_cast<T>(u);
      } else if (it->is_number_integer()) {
        auto i = it->get<int64_t>();
        if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
            (i > 0 &&
             static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<T>::max()))) {
          return Err(field, "is out of range");
        }
        *out = static_cast<T>(i);
      } else {
        return Err(field, std::string("has the wrong type: ") + it->type_name());
      }
    } else {
      try {
        *out = it->get<T>();
      } catch (const nlohmann::json::exception&) {
        return Err(field, std::string("has the wrong type: ") + it->type_name());
      }
    }
    return Status::OK();
  }

  Result<Ulid> GetUlid(const Json& obj, const char* field) const {
    std::string s;
    STRATA_RETURN_IF_ERROR(Get(obj, field, &s, true));
    auto u = Ulid::Parse(s);
    if (!u.ok()) return Err(field, u.status().message());
    return *u;
  }

 private:
  std::string_view source_;
};

Result<ThanosMeta> ParseThanos(const Json& t, const Reader& r) {
  if (!t.is_object()) return r.Err("thanos", "is not an object");
  ThanosMeta m;
  STRATA_RETURN_IF_ERROR(r.Get(t, "version", &m.version, false));
  if (m.version != 1)
    return r.Err("thanos.version", "has unsupported value " + std::to_string(m.version));
  if (auto it = t.find("labels"); it != t.end() && !it->is_null()) {
    if (!it->is_object()) return r.Err("thanos.labels", "is not an object");
    std::vector<Label> ls;
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return r.Err("thanos.labels." + k, "is not a string");
      ls.push_back(Label{k, v.get<std::string>()});
    }
    m.labels = Labels::FromUnsorted(std::move(ls));
  }
  if (auto it = t.find("downsample"); it != t.end() && it->is_object()) {
    STRATA_RETURN_IF_ERROR(r.Get(*it, "resolution", &m.downsample_resolution, false));
  }
  STRATA_RETURN_IF_ERROR(r.Get(t, "source", &m.source, false));
  STRATA_RETURN_IF_ERROR(r.Get(t, "segment_files", &m.segment_files, false));
  if (auto it = t.find("files"); it != t.end() && !it->is_null()) {
    if (!it->is_array()) return r.Err("thanos.files", "is not an array");
    for (const auto& f : *it) {
      if (!f.is_object()) return r.Err("thanos.files", "holds a non-object");
      ThanosFile tf;
      STRATA_RETURN_IF_ERROR(r.Get(f, "rel_path", &tf.rel_path, true));
      STRATA_RETURN_IF_ERROR(r.Get(f, "size_bytes", &tf.size_bytes, false));
      if (auto h = f.find("hash"); h != f.end() && !h->is_null()) {
        if (!h->is_object()) return r.Err("thanos.files.hash", "is not an object");
        STRATA_RETURN_IF_ERROR(r.Get(*h, "hashFunc", &tf.hash_func, false));
        STRATA_RETURN_IF_ERROR(r.Get(*h, "value", &tf.hash_value, false));
      }
      m.files.push_back(std::move(tf));
    }
  }
  if (auto it = t.find("index_stats"); it != t.end() && it->is_object()) {
    STRATA_RETURN_IF_ERROR(r.Get(*it, "series_max_size", &m.series_max_size, false));
    STRATA_RETURN_IF_ERROR(r.Get(*it, "chunk_max_size", &m.chunk_max_size, false));
  }
  return m;
}

// The fields this version writes itself, per object path; everything else is carried over.
const std::map<std::string, std::set<std::string>>& KnownFields() {
  static const auto* known = new std::map<std::string, std::set<std::string>>{
      {"", {"ulid", "minTime", "maxTime", "stats", "compaction", "version", "thanos"}},
      {".stats", {"numSamples", "numSeries", "numChunks", "numTombstones"}},
      {".compaction", {"level", "sources", "parents", "failed", "deletable"}},
      {".thanos",
       {"version", "labels", "downsample", "source", "segment_files", "files", "index_stats"}},
      {".thanos.downsample", {"resolution"}},
      {".thanos.index_stats", {"series_max_size", "chunk_max_size"}},
  };
  return *known;
}

// Copies the unknown fields of `from` into `to`, recursing into known objects.
void MergeUnknown(Json& to, const Json& from, const std::string& path) {
  auto known = KnownFields().find(path);
  if (known == KnownFields().end() || !from.is_object() || !to.is_object()) return;
  for (const auto& [k, v] : from.items()) {
    if (!known->second.count(k)) {
      if (!to.contains(k)) to[k] = v;
    } else if (to.contains(k)) {
      MergeUnknown(to[k], v, path + "." + k);
    }
  }
}

}  // namespace

Result<BlockMeta> ParseBlockMeta(std::string_view json, std::string_view source) {
  Json doc;
  try {
    doc = Json::parse(json);
  } catch (const nlohmann::json::parse_error& e) {
    return Status::Corruption(std::string(source) + ": invalid JSON at byte " +
                              std::to_string(e.byte) + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string(source) + ": invalid JSON: " + e.what());
  }
  if (!doc.is_object()) return Status::Corruption(std::string(source) + ": not a JSON object");
  Reader r(source);
  BlockMeta m;
  STRATA_RETURN_IF_ERROR(r.Get(doc, "version", &m.version, true));
  if (m.version != 1) {
    return Status::Corruption(std::string(source) + ": unexpected meta file version " +
                              std::to_string(m.version));
  }
  STRATA_ASSIGN_OR_RETURN(m.ulid, r.GetUlid(doc, "ulid"));
  STRATA_RETURN_IF_ERROR(r.Get(doc, "minTime", &m.min_time, true));
  STRATA_RETURN_IF_ERROR(r.Get(doc, "maxTime", &m.max_time, true));
  if (m.max_time < m.min_time) return r.Err("maxTime", "is before minTime");
  if (auto it = doc.find("stats"); it != doc.end() && it->is_object()) {
    STRATA_RETURN_IF_ERROR(r.Get(*it, "numSamples", &m.stats.num_samples, false));
    STRATA_RETURN_IF_ERROR(r.Get(*it, "numSeries", &m.stats.num_series, false));
    STRATA_RETURN_IF_ERROR(r.Get(*it, "numChunks", &m.stats.num_chunks, false));
    STRATA_RETURN_IF_ERROR(r.Get(*it, "numTombstones", &m.stats.num_tombstones, false));
  }
  if (auto it = doc.find("compaction"); it != doc.end() && it->is_object()) {
    STRATA_RETURN_IF_ERROR(r.Get(*it, "level", &m.compaction.level, false));
    STRATA_RETURN_IF_ERROR(r.Get(*it, "failed", &m.compaction.failed, false));
    STRATA_RETURN_IF_ERROR(r.Get(*it, "deletable", &m.compaction.deletable, false));
    if (auto s = it->find("sources"); s != it->end() && s->is_array()) {
      for (const auto& v : *s) {
        if (!v.is_string()) return r.Err("compaction.sources", "holds a non-string");
        auto u = Ulid::Parse(v.get<std::string>());
        if (!u.ok()) return r.Err("compaction.sources", u.status().message());
        m.compaction.sources.push_back(*u);
      }
    }
    if (auto p = it->find("parents"); p != it->end() && p->is_array()) {
      for (const auto& v : *p) {
        if (!v.is_object()) return r.Err("compaction.parents", "holds a non-object");
        BlockDesc d;
        STRATA_ASSIGN_OR_RETURN(d.ulid, r.GetUlid(v, "ulid"));
        STRATA_RETURN_IF_ERROR(r.Get(v, "minTime", &d.min_time, false));
        STRATA_RETURN_IF_ERROR(r.Get(v, "maxTime", &d.max_time, false));
        m.compaction.parents.push_back(d);
      }
    }
  }
  if (auto it = doc.find("thanos"); it != doc.end() && !it->is_null()) {
    STRATA_ASSIGN_OR_RETURN(m.thanos, ParseThanos(*it, r));
  }
  m.original_json = std::string(json);
  return m;
}

std::string SerializeBlockMeta(const BlockMeta& m) {
  Json doc;
  doc["ulid"] = m.ulid.String();
  doc["minTime"] = m.min_time;
  doc["maxTime"] = m.max_time;
  Json stats = Json::object();
  // Prometheus omits zero counters (omitempty).
  if (m.stats.num_samples) stats["numSamples"] = m.stats.num_samples;
  if (m.stats.num_series) stats["numSeries"] = m.stats.num_series;
  if (m.stats.num_chunks) stats["numChunks"] = m.stats.num_chunks;
  if (m.stats.num_tombstones) stats["numTombstones"] = m.stats.num_tombstones;
  doc["stats"] = stats;
  Json comp;
  comp["level"] = m.compaction.level;
  Json sources = Json::array();
  for (const auto& u : m.compaction.sources) sources.push_back(u.String());
  comp["sources"] = sources;
  if (!m.compaction.parents.empty()) {
    Json parents = Json::array();
    for (const auto& p : m.compaction.parents) {
      parents.push_back(
          {{"ulid", p.ulid.String()}, {"minTime", p.min_time}, {"maxTime", p.max_time}});
    }
    comp["parents"] = parents;
  }
  if (m.compaction.failed) comp["failed"] = true;
  if (m.compaction.deletable) comp["deletable"] = true;
  doc["compaction"] = comp;
  doc["version"] = m.version;
  if (m.thanos) {
    const ThanosMeta& t = *m.thanos;
    Json th;
    th["version"] = t.version;
    Json labels = Json::object();
    for (const Label& l : t.labels) labels[l.name] = l.value;
    th["labels"] = labels;
    th["downsample"] = {{"resolution", t.downsample_resolution}};
    th["source"] = t.source;
    if (!t.segment_files.empty()) th["segment_files"] = t.segment_files;
    if (!t.files.empty()) {
      Json files = Json::array();
      for (const auto& f : t.files) {
        Json jf;
        jf["rel_path"] = f.rel_path;
        if (f.size_bytes) jf["size_bytes"] = f.size_bytes;
        if (!f.hash_func.empty()) jf["hash"] = {{"hashFunc", f.hash_func}, {"value", f.hash_value}};
        files.push_back(jf);
      }
      th["files"] = files;
    }
    if (t.series_max_size || t.chunk_max_size) {
      Json is = Json::object();
      if (t.series_max_size) is["series_max_size"] = t.series_max_size;
      if (t.chunk_max_size) is["chunk_max_size"] = t.chunk_max_size;
      th["index_stats"] = is;
    }
    doc["thanos"] = th;
  }
  if (!m.original_json.empty()) {
    try {
      MergeUnknown(doc, Json::parse(m.original_json), "");
    } catch (const nlohmann::json::exception&) {
      // original_json always comes from a successful parse; nothing to preserve otherwise.
    }
  }
  return doc.dump(1, '\t') + "\n";
}

Result<BlockMeta> ReadBlockMeta(const std::string& block_dir) {
  const std::string path = block_dir + "/meta.json";
  STRATA_ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  return ParseBlockMeta(data, path);
}

Status WriteBlockMeta(const std::string& block_dir, const BlockMeta& meta) {
  return WriteFileAtomic(block_dir + "/meta.json", SerializeBlockMeta(meta));
}

}  // namespace strata::tsdb
