#include "storeapi/client.h"

#include <grpcpp/grpcpp.h>

#include "storage/merge.h"
#include "store/storepb/rpc.grpc.pb.h"
#include "storeapi/convert.h"
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

struct Chunk {
  int64_t min_time, max_time;
  thanos::Chunk::Encoding encoding;
  std::string data;
};

// Samples of a series' chunks that follow each other in time.
class ChunksIterator : public storage::SampleIterator {
 public:
  explicit ChunksIterator(std::shared_ptr<const std::vector<Chunk>> chunks)
      : chunks_(std::move(chunks)) {}
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
    if (next_ >= chunks_->size() || !status_.ok()) return false;
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
    next_ = chunks_->size();
    return false;
  }

  std::shared_ptr<const std::vector<Chunk>> chunks_;
  size_t next_ = 0;
  bool open_ = false;
  tsdb::XorIterator it_;
  Status status_;
};

class RemoteSeries : public storage::Series {
 public:
  RemoteSeries(Labels l, std::vector<Chunk> chunks)
      : labels_(std::move(l)),
        chunks_(std::make_shared<const std::vector<Chunk>>(std::move(chunks))) {}
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<storage::SampleIterator> Iterator() const override {
    bool overlap = false;
    for (size_t i = 1; i < chunks_->size(); i++)
      overlap |= (*chunks_)[i].min_time <= (*chunks_)[i - 1].max_time;
    if (!overlap) return std::make_unique<ChunksIterator>(chunks_);
    // Overlapping chunks (e.g. from overlapping blocks): merge them in time order.
    std::vector<std::unique_ptr<storage::SampleIterator>> its;
    for (size_t i = 0; i < chunks_->size(); i++) {
      its.push_back(std::make_unique<ChunksIterator>(
          std::make_shared<const std::vector<Chunk>>(std::vector<Chunk>{(*chunks_)[i]})));
    }
    return storage::ChainSampleIterators(std::move(its));
  }

 private:
  Labels labels_;
  std::shared_ptr<const std::vector<Chunk>> chunks_;
};

// A Series call read as it arrives: one response per Next(), decoded once (the querier's
// proxy drains it from a thread per endpoint). Warnings are collected for Warnings(); a call
// not read to its end is cancelled.
class StreamSeriesSet : public storage::SeriesSet {
 public:
  StreamSeriesSet(std::string address, std::unique_ptr<grpc::ClientContext> ctx,
                  thanos::Store::Stub* stub, const thanos::SeriesRequest& req)
      : address_(std::move(address)),
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
        if (!ac.has_raw()) {
          return Stop(Status::Unsupported("store " + address_ +
                                          " sent a chunk without raw data "
                                          "(downsampled aggregates are not supported yet)"));
        }
        chunks.push_back({ac.min_time(), ac.max_time(), ac.raw().type(), ac.raw().data()});
      }
      cur_ = std::make_shared<RemoteSeries>(FromProto(resp_.series().labels()), std::move(chunks));
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

 private:
  bool Stop(Status st) {
    ctx_->TryCancel();
    reader_->Finish();
    done_ = true;
    status_ = std::move(st);
    return false;
  }

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
    req.add_aggregates(thanos::RAW);
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
    return std::make_unique<StreamSeriesSet>(address_, std::move(ctx), stub_.get(), req);
  }

  Status SeriesRaw(const Matchers& matchers, int64_t mint, int64_t maxt, bool skip_chunks,
                   const SeriesFn& fn, const WarningFn& warn) override {
    thanos::SeriesRequest req;
    req.set_min_time(mint);
    req.set_max_time(maxt);
    req.set_skip_chunks(skip_chunks);
    ToProto(matchers, req.mutable_matchers());
    req.add_aggregates(thanos::RAW);
    req.set_partial_response_strategy(thanos::ABORT);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
    auto reader = stub_->Series(&ctx, req);
    thanos::SeriesResponse resp;
    std::vector<RawChunk> chunks;
    Status st;
    while (st.ok() && reader->Read(&resp)) {
      if (resp.has_warning() && warn) warn(address_ + ": " + resp.warning());
      if (!resp.has_series()) continue;
      chunks.clear();
      for (const auto& ac : resp.series().chunks()) {
        if (!ac.has_raw()) continue;  // aggregates of downsampled blocks: not passed on yet
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
