#include "storeapi/server.h"

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>

#include "info/infopb/rpc.grpc.pb.h"
#include "store/storepb/rpc.grpc.pb.h"
#include "storeapi/call_logging.h"
#include "storeapi/convert.h"
#include "storeapi/grpc_credentials.h"
#include "storeapi/grpc_log.h"
#include "tsdb/aggr_chunk.h"

namespace strata::storeapi {
namespace {

grpc::Status ToGrpc(const Status& st) {
  if (st.ok()) return grpc::Status::OK;
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case StatusCode::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case StatusCode::kResourceExhausted:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      break;
    case StatusCode::kCancelled:
      code = grpc::StatusCode::CANCELLED;
      break;
    case StatusCode::kDeadlineExceeded:
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
      break;
    case StatusCode::kPermissionDenied:
      code = grpc::StatusCode::PERMISSION_DENIED;
      break;
    case StatusCode::kUnsupported:
      code = grpc::StatusCode::UNIMPLEMENTED;
      break;
    default:
      break;
  }
  return grpc::Status(code, st.message());
}

thanos::Chunk::Encoding ChunkEncoding(uint8_t tsdb_encoding) {
  switch (tsdb_encoding) {
    case 2:
      return thanos::Chunk::HISTOGRAM;
    case 3:
      return thanos::Chunk::FLOAT_HISTOGRAM;
    default:
      return thanos::Chunk::XOR;
  }
}

// A downsampled chunk goes out as the aggregates the client asked for (raw is never among
// them), as Thanos's store gateway sends it.
Status AddAggregates(const RawChunk& c, const google::protobuf::RepeatedField<int>& aggrs,
                     thanos::AggrChunk* out) {
  STRATA_ASSIGN_OR_RETURN(tsdb::AggrChunkView parts, tsdb::DecodeAggrChunk(c.data));
  for (int a : aggrs) {
    thanos::Chunk* dst = nullptr;
    tsdb::AggrType type;
    switch (a) {
      case thanos::COUNT:
        dst = out->mutable_count();
        type = tsdb::AggrType::kCount;
        break;
      case thanos::SUM:
        dst = out->mutable_sum();
        type = tsdb::AggrType::kSum;
        break;
      case thanos::MIN:
        dst = out->mutable_min();
        type = tsdb::AggrType::kMin;
        break;
      case thanos::MAX:
        dst = out->mutable_max();
        type = tsdb::AggrType::kMax;
        break;
      case thanos::COUNTER:
        dst = out->mutable_counter();
        type = tsdb::AggrType::kCounter;
        break;
      default:
        continue;
    }
    const tsdb::ChunkData& part = parts[static_cast<size_t>(type)];
    if (part.encoding == 0)
      return Status::NotFound("aggregate " + std::string(tsdb::AggrTypeName(type)) +
                              " does not exist in a downsampled chunk");
    dst->set_type(thanos::Chunk::XOR);
    dst->set_data(part.data.data(), part.data.size());
  }
  return Status::OK();
}

// Bounds the number of concurrent Series calls; later calls wait, as Thanos's gate does.
class Gate {
 public:
  explicit Gate(int n) : free_(n) {}
  void Enter() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return free_ > 0; });
    free_--;
  }
  void Leave() {
    {
      std::lock_guard<std::mutex> l(mu_);
      free_++;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
};

class StoreService final : public thanos::Store::Service {
 public:
  StoreService(std::shared_ptr<SeriesSource> src, const ServerOptions& opts)
      : src_(std::move(src)),
        opts_(opts),
        gate_(opts.max_concurrent_series_calls),
        dropped_(opts.metrics ? &opts.metrics->AddCounter(
                                    "thanos_store_selects_dropped_total",
                                    "Number of select queries that were dropped due to "
                                    "configured limits.",
                                    {"reason"})
                              : nullptr) {}

  grpc::Status Info(grpc::ServerContext*, const thanos::InfoRequest*,
                    thanos::InfoResponse* resp) override {
    SourceInfo info = src_->Info();
    resp->set_min_time(info.min_time);
    resp->set_max_time(info.max_time);
    resp->set_storetype(opts_.component_type == "sidecar" ? thanos::SIDECAR
                        : opts_.component_type == "query" ? thanos::QUERY
                                                          : thanos::STORE);
    if (info.label_sets.size() == 1) ToProto(info.label_sets[0], resp->mutable_labels());
    for (const auto& ls : info.label_sets) ToProto(ls, resp->add_label_sets()->mutable_labels());
    return grpc::Status::OK;
  }

  grpc::Status Series(grpc::ServerContext* ctx, const thanos::SeriesRequest* req,
                      grpc::ServerWriter<thanos::SeriesResponse>* writer) override {
    auto matchers = FromProto(req->matchers());
    if (!matchers.ok()) return ToGrpc(matchers.status());
    if (req->min_time() > req->max_time()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "min_time is after max_time");
    }
    SeriesQuery q{std::move(*matchers),
                  req->min_time(),
                  req->max_time(),
                  req->max_resolution_window(),
                  req->skip_chunks(),
                  std::vector<std::string>(req->without_replica_labels().begin(),
                                           req->without_replica_labels().end()),
                  ShardFromProto(req->shard_info())};
    const auto& md = ctx->client_metadata();
    if (auto t = md.find("thanos-tenant"); t != md.end())
      q.tenant = std::string(t->second.data(), t->second.size());
    gate_.Enter();
    // A client that asks for batches (response_batch_size > 1, as Thanos v0.41+ and Strata's
    // querier do) gets up to that many series a message: each message costs both sides a
    // write, a read and a thread wake-up, which was most of a small query's time.
    const int64_t batch_size = req->response_batch_size();
    thanos::SeriesResponse resp;
    size_t batch_bytes = 0;
    uint64_t matched = 0;
    uint64_t sent_series = 0, sent_samples = 0;
    auto limit = [&](const char* what, const char* reason, uint64_t max, uint64_t got) {
      if (dropped_) dropped_->WithLabelValues({reason}).Inc();
      return Status(StatusCode::kResourceExhausted,
                    "failed to send " + std::string(what) + ": limit " + std::to_string(max) +
                        " violated (got " + std::to_string(got) + ")");
    };
    auto flush = [&]() -> Status {
      if (!resp.has_batch() || resp.batch().series_size() == 0) return Status::OK();
      const bool sent = writer->Write(resp);
      resp.Clear();
      batch_bytes = 0;
      return sent ? Status::OK() : Status(StatusCode::kCancelled, "client went away");
    };
    Status st = src_->Series(
        q,
        [&](const Labels& labels, const std::vector<RawChunk>& chunks) -> Status {
          // IsCancelled() polls gRPC's completion queue (as costly as a write), so it is asked
          // once in 64 series; a write to a client that went away fails anyway.
          if ((++matched & 63) == 0 && ctx->IsCancelled())
            return Status(StatusCode::kCancelled, "series call canceled");
          if (!q.shard.Matches(labels)) return Status::OK();  // another shard's series
          if (opts_.max_series > 0 && ++sent_series > opts_.max_series)
            return limit("series", "series", opts_.max_series, sent_series);
          sent_samples += chunks.size() * 120;
          if (opts_.max_samples > 0 && sent_samples > opts_.max_samples)
            return limit("samples", "chunks", opts_.max_samples, sent_samples);
          thanos::Series* s = nullptr;
          if (batch_size > 1) {
            s = resp.mutable_batch()->add_series();
          } else {
            resp.Clear();
            s = resp.mutable_series();
          }
          ToProto(labels, s->mutable_labels());
          for (const auto& l : labels) batch_bytes += l.name.size() + l.value.size();
          for (const auto& c : chunks) {
            auto* ac = s->add_chunks();
            ac->set_min_time(c.min_time);
            ac->set_max_time(c.max_time);
            batch_bytes += c.data.size() + 24;  // with its times and encoding
            if (c.encoding == tsdb::kAggrChunkEncoding) {
              STRATA_RETURN_IF_ERROR(AddAggregates(c, req->aggregates(), ac));
              continue;
            }
            ac->mutable_raw()->set_type(ChunkEncoding(c.encoding));
            ac->mutable_raw()->set_data(c.data.data(), c.data.size());
          }
          if (batch_size > 1) {
            if (resp.batch().series_size() < batch_size && batch_bytes < kMaxBatchBytes)
              return Status::OK();
            return flush();
          }
          if (!writer->Write(resp)) return Status(StatusCode::kCancelled, "client went away");
          return Status::OK();
        },
        [&](const std::string& warning) {
          if (!flush().ok()) return;
          resp.Clear();
          resp.set_warning(warning);
          writer->Write(resp);
        });
    if (st.ok()) st = flush();
    gate_.Leave();
    return ToGrpc(st);
  }

  grpc::Status LabelNames(grpc::ServerContext*, const thanos::LabelNamesRequest* req,
                          thanos::LabelNamesResponse* resp) override {
    auto matchers = FromProto(req->matchers());
    if (!matchers.ok()) return ToGrpc(matchers.status());
    auto names = src_->LabelNames(*matchers, req->start(), req->end());
    if (!names.ok()) return ToGrpc(names.status());
    for (auto& n : *names) resp->add_names(std::move(n));
    return grpc::Status::OK;
  }

  grpc::Status LabelValues(grpc::ServerContext*, const thanos::LabelValuesRequest* req,
                           thanos::LabelValuesResponse* resp) override {
    if (req->label().empty())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "label name parameter cannot be empty");
    auto matchers = FromProto(req->matchers());
    if (!matchers.ok()) return ToGrpc(matchers.status());
    auto values = src_->LabelValues(req->label(), *matchers, req->start(), req->end());
    if (!values.ok()) return ToGrpc(values.status());
    for (auto& v : *values) resp->add_values(std::move(v));
    return grpc::Status::OK;
  }

 private:
  // A batch is sent early once its labels and chunks reach this size, so a message stays small
  // whatever batch size a client asks for (series without chunks included).
  static constexpr size_t kMaxBatchBytes = 1 << 20;

  std::shared_ptr<SeriesSource> src_;
  ServerOptions opts_;
  Gate gate_;
  Family<Counter>* dropped_;
};

class InfoService final : public thanos::info::Info::Service {
 public:
  InfoService(std::shared_ptr<SeriesSource> src, std::string component)
      : src_(std::move(src)), component_(std::move(component)) {}

  grpc::Status Info(grpc::ServerContext*, const thanos::info::InfoRequest*,
                    thanos::info::InfoResponse* resp) override {
    SourceInfo info = src_->Info();
    for (const auto& ls : info.label_sets) ToProto(ls, resp->add_label_sets()->mutable_labels());
    resp->set_componenttype(component_);
    auto* store = resp->mutable_store();
    store->set_min_time(info.min_time);
    store->set_max_time(info.max_time);
    store->set_supports_without_replica_labels(true);  // every SeriesSource honours it
    store->set_supports_sharding(true);                // filtered as series are sent
    return grpc::Status::OK;
  }

 private:
  std::shared_ptr<SeriesSource> src_;
  std::string component_;
};

class GrpcStoreServer : public StoreServer {
 public:
  GrpcStoreServer(std::shared_ptr<SeriesSource> src, const ServerOptions& opts)
      : store_(src, opts),
        info_(src, opts.component_type),
        tls_(opts.tls),
        max_connection_age_ms_(opts.max_connection_age_ms),
        request_logging_(opts.request_logging),
        log_component_(opts.log_component) {}

  Status Start(const std::string& address) {
    grpc::ServerBuilder b;
    // Thanos accepts ":10901" (all interfaces), which gRPC cannot parse without a host.
    const std::string listen = address.starts_with(":") ? "0.0.0.0" + address : address;
    b.AddListeningPort(listen, ServerCredentials(tls_), &port_);
    b.RegisterService(&store_);
    b.RegisterService(&info_);
    b.SetMaxSendMessageSize(-1);
    if (request_logging_) {
      std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> f;
      f.push_back(NewCallLogging(request_logging_, log_component_));
      b.experimental().SetInterceptorCreators(std::move(f));
    }
    if (max_connection_age_ms_ > 0) {
      b.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                           static_cast<int>(std::min<int64_t>(max_connection_age_ms_, INT32_MAX)));
    }
    server_ = b.BuildAndStart();
    if (!server_ || port_ == 0) return Status::IOError("cannot listen on gRPC address " + address);
    return Status::OK();
  }
  int port() const override { return port_; }
  void Shutdown(int64_t grace_ms) override {
    if (server_) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(grace_ms));
    }
  }
  ~GrpcStoreServer() override { Shutdown(5000); }

 private:
  StoreService store_;
  InfoService info_;
  ServerTls tls_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  int64_t max_connection_age_ms_ = 0;
  std::shared_ptr<const server::RequestLogging> request_logging_;
  std::string log_component_;
};

}  // namespace

Result<std::unique_ptr<StoreServer>> StoreServer::Start(const ServerOptions& opts,
                                                        std::shared_ptr<SeriesSource> source) {
  STRATA_RETURN_IF_ERROR(opts.tls.Validate());
  RouteGrpcLogs();
  auto s = std::make_unique<GrpcStoreServer>(std::move(source), opts);
  STRATA_RETURN_IF_ERROR(s->Start(opts.address));
  return std::unique_ptr<StoreServer>(std::move(s));
}

}  // namespace strata::storeapi
