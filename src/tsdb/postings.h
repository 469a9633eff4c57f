// Postings lists: sorted series references within one block's index. Set operations used to
// resolve label matchers. Lists are plain sorted vectors: index postings are stored as 4-byte
// big-endian arrays and decode straight into them.
#pragma once

#include <cstdint>
#include <vector>

namespace strata::tsdb {

using Postings = std::vector<uint32_t>;

// Sorted intersection; gallops through the longer list when sizes differ widely.
Postings Intersect(const Postings& a, const Postings& b);
// Intersection of several lists, smallest first.
Postings IntersectAll(std::vector<Postings> lists);
// Sorted union without duplicates.
Postings Merge(const std::vector<Postings>& lists);
// Elements of a that are not in b.
Postings Without(const Postings& a, const Postings& b);

}  // namespace strata::tsdb
