#include "storeapi/client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <optional>

#include "downsample/iterators.h"
#include "info/infopb/rpc.grpc.pb.h"
#include "storage/merge.h"
#include "store/storepb/rpc.grpc.pb.h"
#include "storeapi/convert.h"
#include "storeapi/grpc_credentials.h"
#include "storeapi/grpc_log.h"
#include "tls/diagnose.h"
#include "tsdb/aggr_chunk.h"
#include "tsdb/xor_chunk.h"

namespace strata::storeapi {
namespace {

// Thanos's tenant header on StoreAPI calls (gRPC metadata keys are lower case).
constexpr char kTenantHeader[] = "thanos-tenant";

Status FromGrpc(const grpc::Status& st, const std::string& address) {
  if (st.ok()) return Status::OK();
  StatusCode code = StatusCode::kIOError;
  switch (st.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      code = StatusCode::kInvalidArgument;
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      code = StatusCode::kDeadlineExceeded;
      break;
    case grpc::StatusCode::CANCELLED:
      code = StatusCode::kCancelled;
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      code = StatusCode::kResourceExhausted;
      break;
    case grpc::StatusCode::PERMISSION_DENIED:
      code = StatusCode::kPermissionDenied;
      break;
    case grpc::StatusCode::UNIMPLEMENTED:
      code = StatusCode::kUnsupported;
      break;
    default:
      break;
  }
  return Status(code, "store " + address + ": " + st.error_message());
}

// A chunk as received: raw data, or (from a downsampled block) some of its aggregates.
struct Chunk {
  int64_t min_time, max_time;
  thanos::Chunk::Encoding encoding;
  std::string data;
  bool raw = true;
  std::array<std::optional<std::string>, tsdb::kNumAggrTypes> aggr;  // by tsdb::AggrType
};

// What a function reads from downsampled data (Thanos's aggrsFromFunc). count_values and
// quantile-like functions need values, so they read averages.
enum class Want { kAverage, kCount, kSum, kMin, kMax, kCounter };

Want WantFor(std::string_view f) {
  if (f == "min" || f.starts_with("min_")) return Want::kMin;
  if (f == "max" || f.starts_with("max_")) return Want::kMax;
  if (f == "count" || f == "count_over_time") return Want::kCount;
  if (f.starts_with("sum_")) return Want::kSum;
  if (f == "increase" || f == "rate" || f == "irate" || f == "resets") return Want::kCounter;
  return Want::kAverage;
}

void AddAggregates(Want w, thanos::SeriesRequest* req) {
  static constexpr std::pair<Want, thanos::Aggr> kSingle[] = {{Want::kCount, thanos::COUNT},
                                                              {Want::kSum, thanos::SUM},
                                                              {Want::kMin, thanos::MIN},
                                                              {Want::kMax, thanos::MAX},
                                                              {Want::kCounter, thanos::COUNTER}};
  for (auto [want, aggr] : kSingle)
    if (w == want) return req->add_aggregates(aggr);
  req->add_aggregates(thanos::COUNT);
  req->add_aggregates(thanos::SUM);
}

// Reads the aggregates of a downsampled chunk; false when it has none.
bool ReadAggregates(const thanos::AggrChunk& ac, Chunk* c) {
  const thanos::Chunk* parts[] = {
      ac.has_count() ? &ac.count() : nullptr, ac.has_sum() ? &ac.sum() : nullptr,
      ac.has_min() ? &ac.min() : nullptr, ac.has_max() ? &ac.max() : nullptr,
      ac.has_counter() ? &ac.counter() : nullptr};
  bool any = false;
  for (size_t i = 0; i < tsdb::kNumAggrTypes; i++) {
    if (parts[i] == nullptr) continue;
    c->aggr[i] = parts[i]->data();
    any = true;
  }
  c->raw = false;
  return any;
}

// An iterator that only reports why there are no samples.
class FailedIterator : public storage::SampleIterator {
 public:
  explicit FailedIterator(Status st) : st_(std::move(st)) {}
  bool Next() override { return false; }
  bool Seek(int64_t) override { return false; }
  int64_t t() const override { return 0; }
  double v() const override { return 0; }
  Status status() const override { return st_; }

 private:
  Status st_;
};

// Keeps a series' received chunks alive for an iterator that reads them in place.
class KeepAlive : public storage::SampleIterator {
 public:
  KeepAlive(std::shared_ptr<const void> keep, std::unique_ptr<storage::SampleIterator> in)
      : keep_(std::move(keep)), in_(std::move(in)) {}
  bool Next() override { return in_->Next(); }
  bool Seek(int64_t t) override { return in_->Seek(t); }
  int64_t t() const override { return in_->t(); }
  double v() const override { return in_->v(); }
  Status status() const override { return in_->status(); }

 private:
  std::shared_ptr<const void> keep_;
  std::unique_ptr<storage::SampleIterator> in_;
};

// Raw samples as the count aggregate sees them: each stands for one sample.
class OnesIterator : public storage::SampleIterator {
 public:
  explicit OnesIterator(std::unique_ptr<storage::SampleIterator> in) : in_(std::move(in)) {}
  bool Next() override { return in_->Next(); }
  bool Seek(int64_t t) override { return in_->Seek(t); }
  int64_t t() const override { return in_->t(); }
  double v() const override { return 1; }
  Status status() const override { return in_->status(); }

 private:
  std::unique_ptr<storage::SampleIterator> in_;
};

// Samples of a series' chunks [first, end) that follow each other in time.
class ChunksIterator : public storage::SampleIterator {
 public:
  ChunksIterator(std::shared_ptr<const std::vector<Chunk>> chunks, size_t first, size_t end)
      : chunks_(std::move(chunks)), next_(first), end_(end) {}
  bool Next() override {
    while (true) {
      if (open_ && it_.Next()) return true;
      if (open_ && it_.failed()) return Fail(it_.status());
      if (!OpenNext()) return false;
    }
  }
  bool Seek(int64_t t) override {
    if (open_ && it_.t() >= t) return true;
    while (!open_ || (*chunks_)[next_ - 1].max_time < t) {
      if (!OpenNext()) return false;
    }
    if (it_.Seek(t)) return true;
    return Next();
  }
  int64_t t() const override { return it_.t(); }
  double v() const override { return it_.v(); }
  Status status() const override { return status_; }

  // Whole chunks decoded straight into the arrays, the edges trimmed afterwards.
  Status AppendSamples(int64_t mint, int64_t maxt, std::vector<int64_t>* ts,
                       std::vector<double>* vs) override {
    if (open_) return SampleIterator::AppendSamples(mint, maxt, ts, vs);
    const size_t before = ts->size();
    for (; next_ < end_; next_++) {
      const Chunk& c = (*chunks_)[next_];
      if (c.max_time < mint) continue;
      if (c.min_time > maxt) break;
      if (c.encoding != thanos::Chunk::XOR) {
        Fail(Status::Unsupported("native histogram chunks are not supported yet"));
        return status_;
      }
      const std::string_view data(c.data);
      const size_t at = ts->size(), n = tsdb::XorNumSamples(data);
      ts->resize(at + n);
      vs->resize(at + n);
      Status st = tsdb::XorDecodeAll(&data, 1, ts->data() + at, vs->data() + at);
      if (!st.ok()) {
        Fail(st);
        return status_;
      }
    }
    next_ = end_;
    // Only the first and last chunks can reach past [mint, maxt]; timestamps are sorted.
    const auto first =
        std::lower_bound(ts->begin() + static_cast<std::ptrdiff_t>(before), ts->end(), mint);
    const auto from = first - ts->begin();
    const auto to = std::upper_bound(first, ts->end(), maxt) - ts->begin();
    ts->erase(ts->begin() + to, ts->end());
    vs->erase(vs->begin() + to, vs->end());
    ts->erase(ts->begin() + static_cast<std::ptrdiff_t>(before), ts->begin() + from);
    vs->erase(vs->begin() + static_cast<std::ptrdiff_t>(before), vs->begin() + from);
    return status_;
  }

 private:
  bool OpenNext() {
    if (next_ >= end_ || !status_.ok()) return false;
    const Chunk& c = (*chunks_)[next_++];
    if (c.encoding != thanos::Chunk::XOR) {
      return Fail(Status::Unsupported("native histogram chunks are not supported yet"));
    }
    it_.Reset(c.data);
    open_ = true;
    return true;
  }
  bool Fail(Status st) {
    status_ = std::move(st);
    open_ = false;
    next_ = end_;
    return false;
  }

  std::shared_ptr<const std::vector<Chunk>> chunks_;
  size_t next_, end_;
  bool open_ = false;
  tsdb::XorIterator it_;
  Status status_;
};

class RemoteSeries : public storage::Series {
 public:
  RemoteSeries(Labels l, std::vector<Chunk> chunks, Want want)
      : labels_(std::move(l)),
        chunks_(std::make_shared<const std::vector<Chunk>>(std::move(chunks))),
        want_(want) {}
  const Labels& labels() const override { return labels_; }
  bool counts_samples() const override { return want_ == Want::kCount; }
  std::unique_ptr<storage::SampleIterator> Iterator() const override {
    const bool all_raw =
        std::all_of(chunks_->begin(), chunks_->end(), [](const Chunk& c) { return c.raw; });
    if (!all_raw) return DownsampledIterator();
    if (want_ == Want::kCount) return std::make_unique<OnesIterator>(RawIterator());
    return RawIterator();
  }

 private:
  std::unique_ptr<storage::SampleIterator> RawIterator() const {
    bool overlap = false;
    for (size_t i = 1; i < chunks_->size(); i++)
      overlap |= (*chunks_)[i].min_time <= (*chunks_)[i - 1].max_time;
    if (!overlap) return std::make_unique<ChunksIterator>(chunks_, 0, chunks_->size());
    // Overlapping chunks (e.g. from overlapping blocks): merge them in time order.
    std::vector<std::unique_ptr<storage::SampleIterator>> its;
    for (size_t i = 0; i < chunks_->size(); i++)
      its.push_back(std::make_unique<ChunksIterator>(chunks_, i, i + 1));
    return storage::ChainSampleIterators(std::move(its));
  }

  // Samples of the aggregate the query's function needs, chunk by chunk (raw chunks where a
  // time range had no downsampled block), as Thanos's querier reads downsampled series.
  std::unique_ptr<storage::SampleIterator> DownsampledIterator() const {
    std::vector<std::unique_ptr<storage::SampleIterator>> its;
    auto part = [&](const Chunk& c, tsdb::AggrType t) -> std::unique_ptr<storage::SampleIterator> {
      const auto& a = c.aggr[static_cast<size_t>(t)];
      if (a) return downsample::NewXorSampleIterator(*a);
      return std::make_unique<FailedIterator>(
          Status::Corruption("series " + labels_.String() + ": the store sent no " +
                             std::string(tsdb::AggrTypeName(t)) + " aggregate"));
    };
    for (size_t i = 0; i < chunks_->size(); i++) {
      const Chunk& c = (*chunks_)[i];
      if (c.raw) {
        auto one = std::make_unique<ChunksIterator>(chunks_, i, i + 1);
        if (want_ == Want::kCount)
          its.push_back(std::make_unique<OnesIterator>(std::move(one)));
        else
          its.push_back(std::move(one));
        continue;
      }
      switch (want_) {
        case Want::kAverage:
          its.push_back(std::make_unique<downsample::AverageIterator>(
              part(c, tsdb::AggrType::kCount), part(c, tsdb::AggrType::kSum)));
          break;
        case Want::kCount:
          its.push_back(part(c, tsdb::AggrType::kCount));
          break;
        case Want::kSum:
          its.push_back(part(c, tsdb::AggrType::kSum));
          break;
        case Want::kMin:
          its.push_back(part(c, tsdb::AggrType::kMin));
          break;
        case Want::kMax:
          its.push_back(part(c, tsdb::AggrType::kMax));
          break;
        case Want::kCounter:
          its.push_back(part(c, tsdb::AggrType::kCounter));
          break;
      }
    }
    // Counter chunks carry their raw first and last values: resets are found across chunks.
    if (want_ == Want::kCounter)
      return std::make_unique<KeepAlive>(
          chunks_, std::make_unique<downsample::CounterResetsIterator>(std::move(its)));
    return std::make_unique<KeepAlive>(chunks_, storage::ChainSampleIterators(std::move(its)));
  }

  Labels labels_;
  std::shared_ptr<const std::vector<Chunk>> chunks_;
  Want want_;
};

// Thanos's overlapSplit: the chunks, in time order, each go to the first run whose last chunk
// ends before it starts (a new run when none does). A series whose replicas a store merged
// becomes one run per replica, each read on its own by the deduplication.
std::vector<std::vector<Chunk>> SplitOverlaps(std::vector<Chunk> chunks) {
  auto earlier = [](const Chunk& a, const Chunk& b) {
    return a.min_time != b.min_time ? a.min_time < b.min_time : a.max_time < b.max_time;
  };
  if (!std::is_sorted(chunks.begin(), chunks.end(), earlier))
    std::stable_sort(chunks.begin(), chunks.end(), earlier);
  std::vector<std::vector<Chunk>> runs;
  for (auto& c : chunks) {
    auto run = std::find_if(runs.begin(), runs.end(), [&](const std::vector<Chunk>& r) {
      return r.back().max_time < c.min_time;
    });
    if (run == runs.end()) run = runs.emplace(runs.end());
    run->push_back(std::move(c));
  }
  if (runs.empty()) runs.emplace_back();  // a series without chunks (skip_chunks)
  return runs;
}

Status NoChunkData(const std::string& address, const thanos::Series& s) {
  return Status::Corruption("store " + address + " sent a chunk of series " +
                            FromProto(s.labels()).String() +
                            " with neither raw data nor aggregates");
}

// A Series call's response stream. A call not read to its end is cancelled.
class SeriesCall {
 public:
  // Series a response the call asks for (Thanos's default); stores that predate batches
  // ignore it and send one series a response.
  static constexpr int64_t kBatchSize = 64;

  SeriesCall(std::string address, std::unique_ptr<grpc::ClientContext> ctx,
             thanos::Store::Stub* stub, thanos::SeriesRequest req)
      : address_(std::move(address)), ctx_(std::move(ctx)) {
    req.set_response_batch_size(kBatchSize);
    reader_ = stub->Series(ctx_.get(), req);
  }
  ~SeriesCall() {
    if (!done_) Stop(Status::OK());
  }
  // The next response, a batch taken apart into one response a series; false at the end of
  // the call (status() says how it ended).
  bool Read(thanos::SeriesResponse* resp) {
    while (true) {
      if (batch_next_ < batch_.series_size()) {
        resp->Clear();
        resp->mutable_series()->Swap(batch_.mutable_series(batch_next_++));
        return true;
      }
      if (done_) return false;
      if (!reader_->Read(resp)) break;
      if (!resp->has_batch()) return true;
      batch_.Swap(resp->mutable_batch());
      batch_next_ = 0;
    }
    done_ = true;
    status_ = FromGrpc(reader_->Finish(), address_);
    return false;
  }
  // Ends the call early with st.
  void Stop(Status st) {
    ctx_->TryCancel();
    reader_->Finish();
    done_ = true;
    status_ = std::move(st);
  }
  // Makes a Read blocked in another thread return.
  void Cancel() { ctx_->TryCancel(); }
  const std::string& address() const { return address_; }
  const Status& status() const { return status_; }

 private:
  std::string address_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReader<thanos::SeriesResponse>> reader_;
  thanos::SeriesBatch batch_;  // the batch being handed out
  int batch_next_ = 0;
  bool done_ = false;
  Status status_;
};

// A Series call read as it arrives: one series per Next(), decoded once (the querier's proxy
// reads it on the query's thread, or on a thread per endpoint with --store.response-timeout).
// Warnings are collected for Warnings(); a call
// not read to its end is cancelled. With labels to leave out, a series whose chunks overlap
// comes out as several series (SplitOverlaps).
class StreamSeriesSet : public storage::SeriesSet {
 public:
  StreamSeriesSet(std::unique_ptr<SeriesCall> call, Want want, std::vector<std::string> without)
      : call_(std::move(call)), want_(want), without_(std::move(without)) {}

  bool Next() override {
    if (!pending_.empty()) {
      cur_ = std::move(pending_.back());
      pending_.pop_back();
      return true;
    }
    while (call_->Read(&resp_)) {
      if (resp_.has_warning()) warnings_.push_back(call_->address() + ": " + resp_.warning());
      if (!resp_.has_series()) continue;  // hints
      std::vector<Chunk> chunks;
      for (const auto& ac : resp_.series().chunks()) {
        if (ac.has_raw()) {
          chunks.push_back({ac.min_time(), ac.max_time(), ac.raw().type(), ac.raw().data()});
          continue;
        }
        Chunk c{ac.min_time(), ac.max_time(), thanos::Chunk::XOR, {}};
        if (!ReadAggregates(ac, &c)) {
          call_->Stop(NoChunkData(call_->address(), resp_.series()));
          return false;
        }
        chunks.push_back(std::move(c));
      }
      Labels labels = FromProto(resp_.series().labels());
      if (without_.empty()) {
        cur_ = std::make_shared<RemoteSeries>(std::move(labels), std::move(chunks), want_);
        return true;
      }
      // Labels the endpoint did not leave out go here; the order is the proxy's concern.
      labels = WithoutLabels(labels, without_);
      auto runs = SplitOverlaps(std::move(chunks));
      for (size_t i = runs.size(); i-- > 1;)
        pending_.push_back(std::make_shared<RemoteSeries>(labels, std::move(runs[i]), want_));
      cur_ = std::make_shared<RemoteSeries>(std::move(labels), std::move(runs[0]), want_);
      return true;
    }
    return false;
  }
  std::shared_ptr<const storage::Series> At() const override { return cur_; }
  Status status() const override { return call_->status(); }
  std::vector<std::string> Warnings() const override { return warnings_; }
  void Cancel() override { call_->Cancel(); }

 private:
  std::unique_ptr<SeriesCall> call_;
  Want want_;
  std::vector<std::string> without_;
  std::vector<std::shared_ptr<const storage::Series>> pending_;  // runs still to return, last first
  thanos::SeriesResponse resp_;
  std::shared_ptr<const storage::Series> cur_;
  std::vector<std::string> warnings_;
};

// A Series call as RawSeriesStream: one response per Next(), chunks pointing into it; aggregate
// chunks re-encoded whole. Labels asked to be left out are removed here too (for endpoints that
// do not); a call not read to its end is cancelled.
class RawStream : public RawSeriesStream {
 public:
  RawStream(std::unique_ptr<SeriesCall> call, std::vector<std::string> without, WarningFn warn)
      : call_(std::move(call)), without_(std::move(without)), warn_(std::move(warn)) {}

  bool Next() override {
    while (call_->Read(&resp_)) {
      if (resp_.has_warning() && warn_) warn_(call_->address() + ": " + resp_.warning());
      if (!resp_.has_series()) continue;
      chunks_.clear();
      aggr_chunks_.clear();
      aggr_chunks_.reserve(resp_.series().chunks_size());  // chunks_ points into it
      for (const auto& ac : resp_.series().chunks()) {
        if (!ac.has_raw()) {
          Chunk c{ac.min_time(), ac.max_time(), thanos::Chunk::XOR, {}};
          if (!ReadAggregates(ac, &c)) {
            call_->Stop(NoChunkData(call_->address(), resp_.series()));
            return false;
          }
          aggr_chunks_.push_back(tsdb::EncodeAggrChunk(c.aggr));
          chunks_.push_back(
              {ac.min_time(), ac.max_time(), tsdb::kAggrChunkEncoding, aggr_chunks_.back()});
          continue;
        }
        const uint8_t enc = ac.raw().type() == thanos::Chunk::XOR         ? 1
                            : ac.raw().type() == thanos::Chunk::HISTOGRAM ? 2
                                                                          : 3;
        chunks_.push_back({ac.min_time(), ac.max_time(), enc, ac.raw().data()});
      }
      labels_ = WithoutLabels(FromProto(resp_.series().labels()), without_);
      return true;
    }
    return false;
  }
  const Labels& labels() const override { return labels_; }
  const std::vector<RawChunk>& chunks() const override { return chunks_; }
  Status status() const override { return call_->status(); }

 private:
  std::unique_ptr<SeriesCall> call_;
  std::vector<std::string> without_;
  WarningFn warn_;
  thanos::SeriesResponse resp_;
  Labels labels_;
  std::vector<RawChunk> chunks_;
  std::vector<std::string> aggr_chunks_;  // re-encoded aggregate chunks of this series
};

// Reconnects quickly after an endpoint was down (gRPC's default backoff grows to two minutes),
// and allows large Series responses.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& address, const ClientTls& tls) {
  grpc::ChannelArguments args;
  if (tls.secure && !tls.server_name.empty())
    args.SetString(GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, tls.server_name);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetMaxReceiveMessageSize(-1);
  if (address.starts_with("dns:///")) {
    // An endpoint group (--endpoint-group): gRPC resolves the name and sends each call to one of
    // its addresses in turn, retrying an unavailable one, with Thanos's keepalive.
    args.SetServiceConfigJSON(
        R"({"loadBalancingPolicy":"round_robin","methodConfig":[{"name":[{}],)"
        R"("retryPolicy":{"maxAttempts":3,"initialBackoff":"0.1s","maxBackoff":"1s",)"
        R"("backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"]}}]})");
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  }
  return grpc::CreateCustomChannel(address, ChannelCredentials(tls), args);
}

class GrpcStoreClient : public StoreClient {
 public:
  GrpcStoreClient(std::string address, std::chrono::milliseconds timeout,
                  std::chrono::milliseconds info_timeout, const ClientTls& tls)
      : address_(std::move(address)),
        timeout_(timeout),
        info_timeout_(info_timeout),
        tls_(tls),
        channel_(NewChannel(address_, tls)),
        stub_(thanos::Store::NewStub(channel_)),
        info_stub_(thanos::info::Info::NewStub(channel_)) {}

  std::unique_ptr<storage::SeriesSet> Select(const storage::SelectHints& hints,
                                             const Matchers& matchers) override {
    thanos::SeriesRequest req;
    req.set_min_time(hints.start);
    req.set_max_time(hints.end);
    ToProto(matchers, req.mutable_matchers());
    const Want want = WantFor(hints.func);
    req.set_max_resolution_window(hints.max_resolution_ms);
    AddAggregates(want, &req);
    req.set_partial_response_strategy(thanos::ABORT);
    req.set_skip_chunks(hints.func == "series");  // /api/v1/series needs labels only
    if (hints.step > 0) req.mutable_query_hints()->set_step_millis(hints.step);
    if (!hints.func.empty()) req.mutable_query_hints()->mutable_func()->set_name(hints.func);
    if (hints.range > 0) req.mutable_query_hints()->mutable_range()->set_millis(hints.range);
    auto ctx = std::make_unique<grpc::ClientContext>();
    auto deadline = std::chrono::system_clock::now() + timeout_;
    if (hints.deadline_ms > 0)
      deadline = std::min(deadline, std::chrono::system_clock::time_point(
                                        std::chrono::milliseconds(hints.deadline_ms)));
    ctx->set_deadline(deadline);
    if (!hints.tenant.empty()) ctx->AddMetadata(kTenantHeader, hints.tenant);
    for (const auto& l : hints.without_labels) req.add_without_replica_labels(l);
    if (hints.shard.enabled()) ToProto(hints.shard, req.mutable_shard_info());
    return std::make_unique<StreamSeriesSet>(
        std::make_unique<SeriesCall>(address_, std::move(ctx), stub_.get(), req), want,
        hints.without_labels);
  }

  std::unique_ptr<RawSeriesStream> SeriesRawStream(const SeriesQuery& q,
                                                   const WarningFn& warn) override {
    thanos::SeriesRequest req;
    req.set_min_time(q.mint);
    req.set_max_time(q.maxt);
    req.set_skip_chunks(q.skip_chunks);
    ToProto(q.matchers, req.mutable_matchers());
    req.set_max_resolution_window(q.max_resolution_ms);
    for (const auto& l : q.without_labels) req.add_without_replica_labels(l);
    if (q.shard.enabled()) ToProto(q.shard, req.mutable_shard_info());
    // Every aggregate, so the whole aggregate chunk can be passed on.
    for (auto a :
         {thanos::RAW, thanos::COUNT, thanos::SUM, thanos::MIN, thanos::MAX, thanos::COUNTER})
      req.add_aggregates(a);
    req.set_partial_response_strategy(thanos::ABORT);
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + timeout_);
    if (!q.tenant.empty()) ctx->AddMetadata(kTenantHeader, q.tenant);
    return std::make_unique<RawStream>(
        std::make_unique<SeriesCall>(address_, std::move(ctx), stub_.get(), req), q.without_labels,
        warn);
  }

  const std::string& address() const override { return address_; }
  bool supports_without_labels() const override { return supports_without_labels_; }

  // thanos.info.Info first (it tells whether without_replica_labels is honoured), the older
  // Store.Info for endpoints without it, as Thanos's querier does.
  Result<SourceInfo> Info() override {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + info_timeout_);
    thanos::info::InfoResponse resp;
    grpc::Status st = info_stub_->Info(&ctx, thanos::info::InfoRequest(), &resp);
    if (st.error_code() == grpc::StatusCode::UNIMPLEMENTED || (st.ok() && !resp.has_store()))
      return StoreInfo();
    if (!st.ok() && tls_.secure && !tls_.skip_verify &&
        st.error_message().find("certificate verify failed") != std::string::npos) {
      // gRPC does not say why; one handshake of our own does.
      const std::string why = tls::WhyServerCertificateFails(address_, tls_.ca_file, 2000);
      if (!why.empty()) st = grpc::Status(st.error_code(), st.error_message() + ": " + why);
    }
    STRATA_RETURN_IF_ERROR(FromGrpc(st, address_));
    SourceInfo info;
    info.min_time = resp.store().min_time();
    info.max_time = resp.store().max_time();
    info.supports_without_labels = resp.store().supports_without_replica_labels();
    supports_without_labels_ = info.supports_without_labels;
    for (const auto& ls : resp.label_sets()) info.label_sets.push_back(FromProto(ls.labels()));
    info.component_type = resp.componenttype();
    return info;
  }

  Result<std::vector<std::string>> LabelNames(const Matchers& matchers, int64_t mint,
                                              int64_t maxt) override {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
    thanos::LabelNamesRequest req;
    req.set_start(mint);
    req.set_end(maxt);
    ToProto(matchers, req.mutable_matchers());
    thanos::LabelNamesResponse resp;
    STRATA_RETURN_IF_ERROR(FromGrpc(stub_->LabelNames(&ctx, req, &resp), address_));
    return std::vector<std::string>(resp.names().begin(), resp.names().end());
  }

  Result<std::vector<std::string>> LabelValues(const std::string& name, const Matchers& matchers,
                                               int64_t mint, int64_t maxt) override {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
    thanos::LabelValuesRequest req;
    req.set_label(name);
    req.set_start(mint);
    req.set_end(maxt);
    ToProto(matchers, req.mutable_matchers());
    thanos::LabelValuesResponse resp;
    STRATA_RETURN_IF_ERROR(FromGrpc(stub_->LabelValues(&ctx, req, &resp), address_));
    return std::vector<std::string>(resp.values().begin(), resp.values().end());
  }

 private:
  Result<SourceInfo> StoreInfo() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + info_timeout_);
    thanos::InfoResponse resp;
    STRATA_RETURN_IF_ERROR(FromGrpc(stub_->Info(&ctx, thanos::InfoRequest(), &resp), address_));
    SourceInfo info;
    info.min_time = resp.min_time();
    info.max_time = resp.max_time();
    info.supports_without_labels = false;
    supports_without_labels_ = false;
    for (const auto& ls : resp.label_sets()) info.label_sets.push_back(FromProto(ls.labels()));
    static constexpr std::pair<thanos::StoreType, const char*> kTypes[] = {
        {thanos::QUERY, "query"},     {thanos::RULE, "rule"},   {thanos::SIDECAR, "sidecar"},
        {thanos::RECEIVE, "receive"}, {thanos::DEBUG, "debug"}, {thanos::STORE, "store"}};
    info.component_type = "store";
    for (auto [type, name] : kTypes) {
      if (resp.storetype() == type) info.component_type = name;
    }
    return info;
  }

  std::string address_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds info_timeout_;
  ClientTls tls_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<thanos::Store::Stub> stub_;
  std::unique_ptr<thanos::info::Info::Stub> info_stub_;
  std::atomic<bool> supports_without_labels_{false};
};

}  // namespace

Status StoreClient::SeriesRaw(const SeriesQuery& q, const SeriesFn& fn, const WarningFn& warn) {
  auto stream = SeriesRawStream(q, warn);
  while (stream->Next()) STRATA_RETURN_IF_ERROR(fn(stream->labels(), stream->chunks()));
  return stream->status();
}

std::unique_ptr<StoreClient> StoreClient::Connect(const std::string& address,
                                                  std::chrono::milliseconds timeout,
                                                  std::chrono::milliseconds info_timeout,
                                                  const ClientTls& tls) {
  RouteGrpcLogs();
  return std::make_unique<GrpcStoreClient>(address, timeout, info_timeout, tls);
}

}  // namespace strata::storeapi
