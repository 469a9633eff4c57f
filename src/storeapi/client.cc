#include "storeapi/client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <array>
#include <optional>

#include "downsample/iterators.h"
#include "storage/merge.h"
#include "store/storepb/rpc.grpc.pb.h"
#include "storeapi/convert.h"
#include "tsdb/aggr_chunk.h"
#include "tsdb/xor_chunk.h"

namespace strata::storeapi {
namespace {

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

// A Series call read as it arrives: one response per Next(), decoded once (the querier's
// proxy drains it from a thread per endpoint). Warnings are collected for Warnings(); a call
// not read to its end is cancelled.
class StreamSeriesSet : public storage::SeriesSet {
 public:
  StreamSeriesSet(std::string address, std::unique_ptr<grpc::ClientContext> ctx,
                  thanos::Store::Stub* stub, const thanos::SeriesRequest& req, Want want)
      : want_(want),
        address_(std::move(address)),
        ctx_(std::move(ctx)),
        reader_(stub->Series(ctx_.get(), req)) {}
  ~StreamSeriesSet() override {
    if (!done_) {
      ctx_->TryCancel();
      reader_->Finish();
    }
  }

  bool Next() override {
    while (!done_ && reader_->Read(&resp_)) {
      if (resp_.has_warning()) warnings_.push_back(address_ + ": " + resp_.warning());
      if (!resp_.has_series()) continue;  // hints
      std::vector<Chunk> chunks;
      for (const auto& ac : resp_.series().chunks()) {
        if (ac.has_raw()) {
          chunks.push_back({ac.min_time(), ac.max_time(), ac.raw().type(), ac.raw().data()});
          continue;
        }
        Chunk c{ac.min_time(), ac.max_time(), thanos::Chunk::XOR, {}};
        if (!ReadAggregates(ac, &c))
          return Stop(Status::Corruption("store " + address_ + " sent a chunk of series " +
                                         FromProto(resp_.series().labels()).String() +
                                         " with neither raw data nor aggregates"));
        chunks.push_back(std::move(c));
      }
      cur_ = std::make_shared<RemoteSeries>(FromProto(resp_.series().labels()), std::move(chunks),
                                            want_);
      return true;
    }
    if (!done_) {
      done_ = true;
      status_ = FromGrpc(reader_->Finish(), address_);
    }
    return false;
  }
  std::shared_ptr<const storage::Series> At() const override { return cur_; }
  Status status() const override { return status_; }
  std::vector<std::string> Warnings() const override { return warnings_; }
  void Cancel() override { ctx_->TryCancel(); }

 private:
  bool Stop(Status st) {
    ctx_->TryCancel();
    reader_->Finish();
    done_ = true;
    status_ = std::move(st);
    return false;
  }

  Want want_;
  std::string address_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReader<thanos::SeriesResponse>> reader_;
  thanos::SeriesResponse resp_;
  std::shared_ptr<const storage::Series> cur_;
  std::vector<std::string> warnings_;
  Status status_;
  bool done_ = false;
};

// Reconnects quickly after an endpoint was down (gRPC's default backoff grows to two minutes),
// and allows large Series responses.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetMaxReceiveMessageSize(-1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

class GrpcStoreClient : public StoreClient {
 public:
  GrpcStoreClient(std::string address, std::chrono::milliseconds timeout,
                  std::chrono::milliseconds info_timeout)
      : address_(std::move(address)),
        timeout_(timeout),
        info_timeout_(info_timeout),
        stub_(thanos::Store::NewStub(NewChannel(address_))) {}

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
    return std::make_unique<StreamSeriesSet>(address_, std::move(ctx), stub_.get(), req, want);
  }

  Status SeriesRaw(const Matchers& matchers, int64_t mint, int64_t maxt, int64_t max_resolution_ms,
                   bool skip_chunks, const SeriesFn& fn, const WarningFn& warn) override {
    thanos::SeriesRequest req;
    req.set_min_time(mint);
    req.set_max_time(maxt);
    req.set_skip_chunks(skip_chunks);
    ToProto(matchers, req.mutable_matchers());
    req.set_max_resolution_window(max_resolution_ms);
    // Every aggregate, so the whole aggregate chunk can be passed on.
    for (auto a :
         {thanos::RAW, thanos::COUNT, thanos::SUM, thanos::MIN, thanos::MAX, thanos::COUNTER})
      req.add_aggregates(a);
    req.set_partial_response_strategy(thanos::ABORT);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
    auto reader = stub_->Series(&ctx, req);
    thanos::SeriesResponse resp;
    std::vector<RawChunk> chunks;
    std::vector<std::string> aggr_chunks;  // re-encoded aggregate chunks of this series
    Status st;
    while (st.ok() && reader->Read(&resp)) {
      if (resp.has_warning() && warn) warn(address_ + ": " + resp.warning());
      if (!resp.has_series()) continue;
      chunks.clear();
      aggr_chunks.clear();
      aggr_chunks.reserve(resp.series().chunks_size());
      for (const auto& ac : resp.series().chunks()) {
        if (!ac.has_raw()) {
          Chunk c{ac.min_time(), ac.max_time(), thanos::Chunk::XOR, {}};
          if (!ReadAggregates(ac, &c)) continue;
          aggr_chunks.push_back(tsdb::EncodeAggrChunk(c.aggr));
          chunks.push_back(
              {ac.min_time(), ac.max_time(), tsdb::kAggrChunkEncoding, aggr_chunks.back()});
          continue;
        }
        const uint8_t enc = ac.raw().type() == thanos::Chunk::XOR         ? 1
                            : ac.raw().type() == thanos::Chunk::HISTOGRAM ? 2
                                                                          : 3;
        chunks.push_back({ac.min_time(), ac.max_time(), enc, ac.raw().data()});
      }
      st = fn(FromProto(resp.series().labels()), chunks);
    }
    if (!st.ok()) {
      ctx.TryCancel();
      reader->Finish();
      return st;
    }
    return FromGrpc(reader->Finish(), address_);
  }

  const std::string& address() const override { return address_; }

  Result<SourceInfo> Info() override {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + info_timeout_);
    thanos::InfoResponse resp;
    STRATA_RETURN_IF_ERROR(FromGrpc(stub_->Info(&ctx, thanos::InfoRequest(), &resp), address_));
    SourceInfo info;
    info.min_time = resp.min_time();
    info.max_time = resp.max_time();
    for (const auto& ls : resp.label_sets()) info.label_sets.push_back(FromProto(ls.labels()));
    switch (resp.storetype()) {
      case thanos::QUERY:
        info.component_type = "query";
        break;
      case thanos::RULE:
        info.component_type = "rule";
        break;
      case thanos::SIDECAR:
        info.component_type = "sidecar";
        break;
      case thanos::RECEIVE:
        info.component_type = "receive";
        break;
      case thanos::DEBUG:
        info.component_type = "debug";
        break;
      default:
        info.component_type = "store";
    }
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
  std::string address_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds info_timeout_;
  std::unique_ptr<thanos::Store::Stub> stub_;
};

}  // namespace

std::unique_ptr<StoreClient> StoreClient::Connect(const std::string& address,
                                                  std::chrono::milliseconds timeout,
                                                  std::chrono::milliseconds info_timeout) {
  return std::make_unique<GrpcStoreClient>(address, timeout, info_timeout);
}

}  // namespace strata::storeapi
