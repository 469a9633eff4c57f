// Opens arbitrary bytes as an index and walks everything reachable from it; the same bytes as a
// cached ExpandedPostings item must be refused or decode to a strictly increasing list that
// round-trips through its encoding.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/matcher.h"
#include "store/bucket_block.h"
#include "tsdb/index_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto refs = store::DecodeRefs(bytes); refs.ok()) {
    for (size_t i = 1; i < refs->size(); i++) {
      if ((*refs)[i - 1] >= (*refs)[i]) std::abort();
    }
    auto again = store::DecodeRefs(store::EncodeRefs(*refs));
    if (!again.ok() || *again != *refs) std::abort();
  }
  auto r = tsdb::IndexReader::FromBytes(bytes, "fuzz");
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
