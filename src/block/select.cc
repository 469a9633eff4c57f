#include "block/select.h"

namespace strata::block {

bool BlockSelector::Selects(const tsdb::BlockMeta& meta) const {
  if (meta.max_time <= min_time || meta.min_time > max_time) return false;
  if (relabel.empty()) return true;
  const Labels l = meta.thanos ? meta.thanos->labels : Labels{};
  return relabel::Process(l.With("__block_id", meta.ulid.String()), relabel).has_value();
}

}  // namespace strata::block
