#include "query/proxy.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <set>
#include <thread>

#include "base/timestamp.h"
#include "dedup/dedup.h"
#include "storage/merge.h"

namespace strata::query {

void ProxyQuerier::Warn(const Status& st) {
  std::lock_guard<std::mutex> l(mu_);
  warnings_.push_back(st.message());
}

std::vector<std::string> ProxyQuerier::TakeWarnings() {
  std::lock_guard<std::mutex> l(mu_);
  return std::move(warnings_);
}

Result<std::vector<std::shared_ptr<storeapi::StoreClient>>> ProxyQuerier::Pick(int64_t mint,
                                                                               int64_t maxt,
                                                                               const Matchers& m) {
  EndpointSelection sel = endpoints_(mint, maxt, m);
  for (const auto& u : sel.unavailable) {
    Status st = Status::IOError("endpoint " + u);
    if (!opts_.partial_response) return st;
    Warn(st);
  }
  return sel.clients;
}

namespace {

using WarnFn = std::function<void(const Status&)>;

// What an endpoint's ended stream leaves: its warnings, and its error as a warning with partial
// responses, else as the query's error (returned).
Status EndOfStream(const std::vector<std::string>& warnings, Status st, bool partial,
                   const WarnFn& warn) {
  for (const auto& w : warnings) warn(Status(StatusCode::kIOError, w));
  if (st.ok() || !partial) return st;
  warn(st);
  return Status::OK();
}

// One endpoint's Series call read on the query's own thread (no --store.response-timeout, the
// default): gRPC buffers what the endpoint sends ahead within its flow-control window, so
// endpoints still answer in parallel, and no thread is started or woken per series.
class DirectEndpointStream : public storage::SeriesSet {
 public:
  DirectEndpointStream(std::unique_ptr<storage::SeriesSet> in, bool partial, WarnFn warn)
      : in_(std::move(in)), partial_(partial), warn_(std::move(warn)) {}

  bool Next() override {
    if (done_) return false;
    if (in_->Next()) return true;
    done_ = true;
    status_ = EndOfStream(in_->Warnings(), in_->status(), partial_, warn_);
    return false;
  }
  std::shared_ptr<const storage::Series> At() const override { return in_->At(); }
  Status status() const override { return status_; }
  void Cancel() override { in_->Cancel(); }

 private:
  std::unique_ptr<storage::SeriesSet> in_;
  const bool partial_;
  const WarnFn warn_;
  bool done_ = false;
  Status status_;
};

// One endpoint's Series call with --store.response-timeout, read ahead by a thread of its own
// into a bounded queue while the merge takes series from the front, so memory holds a window of
// each answer, not all of it.
// --store.response-timeout bounds each wait for the endpoint's next message (as Thanos does),
// not the whole call: an endpoint whose reader is held back by a full queue is not waiting on
// the endpoint, so a healthy one is never given up because the merge waited on a slow one.
// A failed or timed-out endpoint ends its stream early; with partial responses that is a
// warning (what arrived is kept), else an error.
class EndpointStream : public storage::SeriesSet {
 public:
  EndpointStream(std::unique_ptr<storage::SeriesSet> in, std::string address,
                 int64_t response_timeout_ms, bool partial, WarnFn warn)
      : in_(std::move(in)),
        address_(std::move(address)),
        timeout_ms_(response_timeout_ms),
        partial_(partial),
        warn_(std::move(warn)),
        reader_([this] { Read(); }) {}

  ~EndpointStream() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    in_->Cancel();
    space_.notify_all();
    reader_.join();
  }

  bool Next() override {
    std::unique_lock<std::mutex> l(mu_);
    while (queue_.empty() && !done_) {
      // Wait for the reader, or until the endpoint has kept it waiting for the timeout.
      const int64_t deadline =
          timeout_ms_ > 0 && waiting_since_ > 0 && !timed_out_ ? waiting_since_ + timeout_ms_ : 0;
      if (deadline == 0) {
        ready_.wait(l);
      } else if (const int64_t left = deadline - NowMs(); left > 0) {
        ready_.wait_for(l, std::chrono::milliseconds(left));
      } else {
        timed_out_ = true;
        in_->Cancel();  // the reader's Next() returns; done_ follows
      }
    }
    if (queue_.empty()) {
      Finish();
      return false;
    }
    cur_ = std::move(queue_.front());
    queue_.pop_front();
    space_.notify_one();
    return true;
  }
  std::shared_ptr<const storage::Series> At() const override { return cur_; }
  Status status() const override { return status_; }

 private:
  static constexpr size_t kReadAhead = 1024;  // series buffered per endpoint

  void Read() {
    while (true) {
      {
        std::lock_guard<std::mutex> l(mu_);
        if (stop_) break;
        waiting_since_ = NowMs();
      }
      if (timeout_ms_ > 0) ready_.notify_one();  // a waiting Next() learns the deadline
      const bool more = in_->Next();
      std::unique_lock<std::mutex> l(mu_);
      waiting_since_ = 0;
      if (!more) break;
      queue_.push_back(in_->At());
      ready_.notify_one();
      space_.wait(l, [&] { return stop_ || queue_.size() < kReadAhead; });
    }
    std::lock_guard<std::mutex> l(mu_);
    in_status_ = in_->status();
    in_warnings_ = in_->Warnings();
    done_ = true;
    ready_.notify_one();
  }

  // Called once the queue is drained and the reader done (mu_ held).
  void Finish() {
    if (finished_) return;
    finished_ = true;
    Status st = in_status_;
    if (timed_out_)
      st = Status(StatusCode::kDeadlineExceeded,
                  "store " + address_ + ": no response within --store.response-timeout=" +
                      std::to_string(timeout_ms_) + "ms");
    status_ = EndOfStream(in_warnings_, st, partial_, warn_);
  }

  std::unique_ptr<storage::SeriesSet> in_;
  const std::string address_;
  const int64_t timeout_ms_;
  const bool partial_;
  const WarnFn warn_;
  std::shared_ptr<const storage::Series> cur_;
  Status status_;

  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<std::shared_ptr<const storage::Series>> queue_;
  int64_t waiting_since_ = 0;  // when the reader started waiting for the endpoint; 0: not
  bool stop_ = false, done_ = false, timed_out_ = false, finished_ = false;
  Status in_status_;
  std::vector<std::string> in_warnings_;
  std::thread reader_;  // last: starts once everything above is constructed
};

// An endpoint's answer sorted by labels, read whole on the first Next(): for endpoints that
// cannot leave out replica labels themselves (the client removes them, which can reorder
// series), as Thanos's querier does for such endpoints, and for --grpc.proxy-strategy=eager.
class SortedSet : public storage::SeriesSet {
 public:
  explicit SortedSet(std::unique_ptr<storage::SeriesSet> in) : in_(std::move(in)) {}
  bool Next() override {
    if (!read_) {
      read_ = true;
      while (in_->Next()) all_.push_back(in_->At());
      std::stable_sort(all_.begin(), all_.end(),
                       [](const auto& a, const auto& b) { return a->labels() < b->labels(); });
    }
    if (next_ >= all_.size()) return false;
    cur_ = std::move(all_[next_++]);
    return true;
  }
  std::shared_ptr<const storage::Series> At() const override { return cur_; }
  Status status() const override { return in_->status(); }
  std::vector<std::string> Warnings() const override { return in_->Warnings(); }
  void Cancel() override { in_->Cancel(); }

 private:
  std::unique_ptr<storage::SeriesSet> in_;
  bool read_ = false;
  std::vector<std::shared_ptr<const storage::Series>> all_;
  size_t next_ = 0;
  std::shared_ptr<const storage::Series> cur_;
};

}  // namespace

Result<std::optional<Matchers>> ApplySelectorLabels(const Labels& selector,
                                                    const Matchers& matchers) {
  if (selector.empty()) return std::optional<Matchers>(matchers);
  Matchers rest;
  for (const auto& m : matchers) {
    if (!selector.Has(m.name())) {
      rest.push_back(m);
    } else if (!m.Matches(selector.Get(m.name()))) {
      return std::optional<Matchers>();
    }
  }
  if (rest.empty())
    return Status::InvalidArgument("no matchers specified (excluding selector labels)");
  return std::optional<Matchers>(std::move(rest));
}

std::unique_ptr<storage::SeriesSet> ProxyQuerier::Select(const storage::SelectHints& hints,
                                                         const Matchers& selected) {
  // Without --selector-label the matchers pass as they are (no copy per Select).
  Result<std::optional<Matchers>> applied = std::optional<Matchers>();
  if (!opts_.selector_labels.empty()) {
    applied = ApplySelectorLabels(opts_.selector_labels, selected);
    if (!applied.ok()) return storage::ErrorSeriesSet(applied.status());
    if (!applied->has_value()) return storage::VectorSeriesSet({});
  }
  const Matchers& matchers = opts_.selector_labels.empty() ? selected : **applied;
  auto picked = Pick(hints.start, hints.end, matchers);
  if (!picked.ok()) return storage::ErrorSeriesSet(picked.status());
  storage::SelectHints h = hints;
  if (h.tenant.empty()) h.tenant = opts_.tenant;
  h.max_resolution_ms = opts_.max_resolution_ms;
  h.shard = opts_.shard;
  // With deduplication, endpoints are asked to leave the replica labels out and sort by what
  // remains (without_replica_labels), so the replicas of a series arrive together and are
  // deduplicated as they stream.
  const bool dedup = opts_.dedup && !opts_.replica_labels.empty();
  if (dedup) h.without_labels = opts_.replica_labels;
  // Every endpoint is asked at once; their sorted answers are merged as they arrive.
  std::vector<std::unique_ptr<storage::SeriesSet>> sets;
  const WarnFn warn = [this](const Status& st) { Warn(st); };
  for (const auto& ep : *picked) {
    std::unique_ptr<storage::SeriesSet> set;
    if (opts_.response_timeout_ms > 0) {
      set =
          std::make_unique<EndpointStream>(ep->Select(h, matchers), ep->address(),
                                           opts_.response_timeout_ms, opts_.partial_response, warn);
    } else {
      set = std::make_unique<DirectEndpointStream>(ep->Select(h, matchers), opts_.partial_response,
                                                   warn);
    }
    if (opts_.eager || (dedup && !ep->supports_without_labels()))
      set = std::make_unique<SortedSet>(std::move(set));
    sets.push_back(std::move(set));
  }
  if (!dedup) return storage::MergeSeriesSets(std::move(sets));
  return dedup::DedupSortedSeriesSet(storage::InterleaveSeriesSets(std::move(sets)), hints.func,
                                     opts_.dedup_algorithm);
}

Result<std::vector<std::string>> ProxyQuerier::LabelNames(const Matchers& matchers, int64_t mint,
                                                          int64_t maxt) {
  std::set<std::string> names;
  STRATA_ASSIGN_OR_RETURN(auto picked, Pick(mint, maxt, matchers));
  for (const auto& ep : picked) {
    auto r = ep->LabelNames(matchers, mint, maxt);
    if (!r.ok()) {
      if (!opts_.partial_response) return r.status();
      Warn(r.status());
      continue;
    }
    names.insert(r->begin(), r->end());
  }
  if (opts_.dedup) {
    for (const auto& rl : opts_.replica_labels) names.erase(rl);
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<std::string>> ProxyQuerier::LabelValues(const std::string& name,
                                                           const Matchers& matchers, int64_t mint,
                                                           int64_t maxt) {
  std::set<std::string> values;
  if (opts_.dedup) {
    for (const auto& rl : opts_.replica_labels) {
      if (rl == name) return std::vector<std::string>{};
    }
  }
  STRATA_ASSIGN_OR_RETURN(auto picked, Pick(mint, maxt, matchers));
  for (const auto& ep : picked) {
    auto r = ep->LabelValues(name, matchers, mint, maxt);
    if (!r.ok()) {
      if (!opts_.partial_response) return r.status();
      Warn(r.status());
      continue;
    }
    values.insert(r->begin(), r->end());
  }
  return std::vector<std::string>(values.begin(), values.end());
}

}  // namespace strata::query
