// Opens arbitrary bytes as an index and walks everything reachable from it.
#include <cstdint>
#include <string_view>

#include "base/matcher.h"
#include "tsdb/index_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  auto r = tsdb::IndexReader::FromBytes(std::string_view(reinterpret_cast<const char*>(data), size),
                                        "fuzz");
  if (!r.ok()) return 0;
  const tsdb::IndexReader& idx = **r;
  int budget = 10000;
  for (auto name : idx.LabelNames()) {
    for (auto value : idx.LabelValues(name)) {
      auto p = idx.ReadPostings(name, value);
      if (!p.ok()) continue;
      for (uint32_t ref : *p) {
        if (--budget < 0) return 0;
        (void)idx.ReadSeries(ref);
      }
    }
  }
  auto all = idx.ReadPostings("", "");
  if (all.ok()) {
    for (uint32_t ref : *all) {
      if (--budget < 0) return 0;
      (void)idx.ReadSeries(ref);
    }
  }
  auto m = Matcher::Make(MatchType::kRegexMatch, "job", "a.*|b");
  if (m.ok()) (void)idx.PostingsForMatchers({*m});
  return 0;
}
