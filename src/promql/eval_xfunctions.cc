// Thanos's extended range functions xrate, xincrease and xdelta (--query.enable-x-functions),
// as Thanos's PromQL engine computes them: each range also takes the last sample before it
// (up to an hour back), and the result is not extrapolated. Which samples a step sees follows
// that engine's buffered iterator and its reuse of the previous step's samples, so results
// match Thanos's to the bit, quirks included (a sample exactly at the range start counts as
// the point before the range when the step reuses the previous window).
#include <algorithm>
#include <limits>

#include "promql/eval.h"
#include "promql/functions.h"

namespace strata::promql {
namespace {

struct ExtendedKind {
  bool counter;
  bool rate;
};

ExtendedKind KindOf(std::string_view name) {
  if (name == "xrate") return {true, true};
  if (name == "xincrease") return {true, false};
  return {false, false};  // xdelta
}

// The value over samples [t, t+n) for the range ending at `end` (ms).
double ExtendedRate(const int64_t* t, const double* v, size_t n, ExtendedKind k, int64_t end,
                    int64_t range, int64_t appeared) {
  const int64_t start = end - range;
  bool same = true;
  for (size_t i = 1; i < n && same; i++) same = v[i - 1] == v[i];
  const bool increase = k.counter && !k.rate;
  // A counter that has just appeared counts from zero: its first value is the increase.
  if (increase && same && end <= range + appeared) return v[0];
  double sampled = static_cast<double>(t[n - 1] - t[0]);
  double avg = sampled / static_cast<double>(n - 1);  // NaN for one sample: no comparison holds
  size_t first = 0;
  if (!increase && static_cast<double>(start - t[0]) > avg) {
    // The point before the range is too far from its start: leave it out.
    if (n < 3) return 0;
    first = 1;
    sampled = static_cast<double>(t[n - 1] - t[1]);
    avg = sampled / static_cast<double>(n - 2);
  }
  double correction = 0, last = 0;
  for (size_t i = first; k.counter && i < n; i++) {
    if (v[i] < last) correction += last;
    last = v[i];
  }
  double result = v[n - 1] - v[first] + correction;
  const double to_end = static_cast<double>(end - t[n - 1]);
  if (!increase && t[first] <= start && to_end < avg) {
    // Whole seconds, as Thanos divides the range in integers.
    result *= static_cast<double>(range / 1000) / (sampled / 1000);
  }
  if (k.rate) result /= static_cast<double>(range / 1000);
  return result;
}

// Which samples of one series each step sees, step after step, as Thanos's matrix selector
// picks them. Samples are sorted and free of stale markers.
class ExtendedWindows {
 public:
  ExtendedWindows(const std::vector<int64_t>& t, int64_t range) : t_(t), range_(range) {}

  // The samples [*a, *b) for the range ending at `end`; false when there are none.
  bool Next(int64_t end, size_t* a, size_t* b) {
    const int64_t mint = end - range_, ext_mint = mint - kExtendedLookbackMs;
    const int64_t delta = range_ + kExtendedLookbackMs;
    // The buffered iterator restarts at end - delta when that lies past where it stands.
    const bool reset = first_ || (pos_ < t_.size() && end - delta > t_[pos_]);
    if (reset) floor_ = end - delta;
    if (!first_ && end == last_end_) return Fill(a, b);  // @: the same window again
    first_ = false;
    last_end_ = end;
    const size_t below = Lower(end);  // the buffer holds samples before `end` ...
    int64_t lb = floor_;
    if (below > 0) lb = std::max(lb, t_[below - 1] - delta);  // ... and `delta` behind the last
    const size_t buf = Lower(lb);
    const bool at_end = below < t_.size() && t_[below] == end;
    pos_ = below;
    if (!has_appeared_ && (buf < below || at_end)) {
      // The first sample this series' scanner reads: a counter counts from zero until then.
      appeared_ = buf < below ? t_[buf] : end;
      has_appeared_ = true;
    }
    size_t lo;
    if (b_ > a_ && t_[b_ - 1] >= mint) {
      // Reuse: drop what is at or before mint, keeping the last of those within the hour.
      size_t d = a_;
      while (d < b_ && t_[d] <= mint) d++;
      lo = d > a_ && t_[d - 1] >= ext_mint ? d - 1 : d;
    } else {
      // Fresh: the latest sample before mint in the buffer, then the range.
      const size_t k = std::max(buf, Lower(mint));
      lo = k > buf ? k - 1 : k;
    }
    a_ = lo;
    b_ = below + (at_end ? 1 : 0);
    return Fill(a, b);
  }
  int64_t appeared() const { return appeared_; }

 private:
  size_t Lower(int64_t x) const {
    return static_cast<size_t>(std::lower_bound(t_.begin(), t_.end(), x) - t_.begin());
  }
  bool Fill(size_t* a, size_t* b) const {
    *a = a_;
    *b = b_;
    return b_ > a_;
  }

  const std::vector<int64_t>& t_;
  const int64_t range_;
  bool first_ = true;
  int64_t last_end_ = 0;
  int64_t floor_ = std::numeric_limits<int64_t>::min();
  size_t pos_ = 0;  // the first sample at or after the last range's end
  size_t a_ = 0, b_ = 0;
  bool has_appeared_ = false;
  int64_t appeared_ = 0;
};

}  // namespace

Result<Value> EvalExtendedRange(Evaluator& ev, const Call& c, const Grid& g) {
  const ExtendedKind kind = KindOf(c.func->name);
  Value out{ValueType::kVector};
  RangeWindows rw;
  STRATA_RETURN_IF_ERROR(
      ev.EvalRange(*c.args[0], g, c.func->name, &rw, [&](RangeSeries& rs) -> Status {
        StepSeries s;
        s.v.assign(g.n, 0);
        s.has.assign(g.n, 0);
        size_t count = 0;
        ExtendedWindows windows(rs.t, rw.range);
        for (size_t i = 0; i < g.n; i++) {
          size_t a, b;
          if (!windows.Next(rw.window_end[i], &a, &b)) continue;
          s.v[i] = ExtendedRate(rs.t.data() + a, rs.v.data() + a, b - a, kind, rw.window_end[i],
                                rw.range, windows.appeared());
          s.has[i] = 1;
          count++;
        }
        if (count == 0) return Status::OK();
        s.labels = rs.labels.Without("__name__");
        out.vec.push_back(std::move(s));
        return ev.Reserve(static_cast<int64_t>(count));
      }));
  return out;
}

}  // namespace strata::promql
