#include "server/http_server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <set>
#include <thread>
#include <type_traits>

#include "base/go_format.h"
#include "base/log.h"
#include "base/timestamp.h"
#include "base/ulid.h"
#include "server/web_config_watcher.h"

namespace strata::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string UrlDecode(std::string_view s, bool form) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else if (form && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view qs) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!qs.empty()) {
    size_t amp = qs.find('&');
    std::string_view part = qs.substr(0, amp);
    if (!part.empty()) {
      size_t eq = part.find('=');
      out.emplace_back(UrlDecode(part.substr(0, eq), true),
                       eq == std::string_view::npos ? "" : UrlDecode(part.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    qs.remove_prefix(amp + 1);
  }
  return out;
}

std::string Gzip(std::string_view data) {
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper.
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string HttpRequest::Header(std::string name) const {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::string HttpRequest::Param(const std::string& name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return "";
}

bool HttpRequest::HasParam(const std::string& name) const {
  for (const auto& p : params) {
    if (p.first == name) return true;
  }
  return false;
}

std::vector<std::string> HttpRequest::Params(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : params) {
    if (k == name) out.push_back(v);
  }
  return out;
}

std::string SanitizePathPrefix(std::string_view p) {
  if (size_t scheme = p.find("://"); scheme != std::string_view::npos) {
    p.remove_prefix(scheme + 3);
    const size_t slash = p.find('/');
    p = slash == std::string_view::npos ? std::string_view() : p.substr(slash);
  }
  p = p.substr(0, p.find_first_of("?#"));
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  if (p.empty()) return "";
  return (p.front() == '/' ? "" : "/") + std::string(p);
}

void Router::SetRoutePrefix(std::string_view prefix) { route_prefix_ = SanitizePathPrefix(prefix); }

HttpResponse Router::Route(const HttpRequest& req) const {
  if (auto it = root_.find(req.path); it != root_.end()) return it->second(req);
  if (route_prefix_.empty()) return Dispatch(req);
  if (req.path == "/") {
    return {302, "text/html; charset=utf-8", "", {{"Location", route_prefix_ + "/"}}};
  }
  if (!req.path.starts_with(route_prefix_) ||
      (req.path.size() > route_prefix_.size() && req.path[route_prefix_.size()] != '/')) {
    return {404, "text/plain; charset=utf-8", "404 page not found\n", {}};
  }
  HttpRequest inner = req;
  inner.path =
      req.path.size() == route_prefix_.size() ? "/" : req.path.substr(route_prefix_.size());
  return Dispatch(inner);
}

HttpResponse Router::Dispatch(const HttpRequest& req) const {
  if (auto it = exact_.find(req.path); it != exact_.end()) return it->second(req);
  const HttpHandler* best = nullptr;
  size_t best_len = 0;
  for (const auto& [prefix, h] : prefixes_) {
    if (req.path.starts_with(prefix) && prefix.size() >= best_len) {
      best = &h;
      best_len = prefix.size();
    }
  }
  if (best != nullptr) return (*best)(req);
  return {404, "text/plain; charset=utf-8", "404 page not found\n", {}};
}

namespace {

// One I/O thread with an io_context of its own. A connection stays on one worker for its whole
// life, so its reads, timers and writes never hop threads: with one io_context shared by all
// threads, Asio woke another thread for every strand hand-over and timer update, about ten
// context switches per request, which was most of a small query's cost.
struct IoWorker {
  std::atomic<int> connections{0};  // first: the sessions ioc destroys still count down
  std::atomic<bool> busy{false};    // running a handler on its own thread
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> keep_running{ioc.get_executor()};
  std::thread thread;
};

// Thanos's HTTP handler metrics (its extpromhttp instrumentation middleware).
struct HttpMetrics {
  explicit HttpMetrics(Registry& r, bool tenant) {
    std::vector<std::string> l = {"handler", "method"};
    if (tenant) l.push_back("tenant");
    inflight = &r.AddGauge("http_inflight_requests",
                           "Current number of HTTP requests the handler is responding to.", l);
    l.insert(l.begin(), "code");
    requests = &r.AddCounter("http_requests_total", "Tracks the number of HTTP requests.", l);
    duration = &r.AddHistogram(
        "http_request_duration_seconds", "Tracks the latencies for HTTP requests.", l,
        {0.001, 0.01, 0.1, 0.3, 0.6, 1, 3, 6, 9, 20, 30, 60, 90, 120, 240, 360, 720});
    std::vector<double> sizes;
    for (double b = 64; sizes.size() < 10; b *= 2) sizes.push_back(b);
    request_size =
        &r.AddHistogram("http_request_size_bytes", "Tracks the size of HTTP requests.", l, sizes);
    response_size =
        &r.AddHistogram("http_response_size_bytes", "Tracks the size of HTTP responses.", l, sizes);
  }
  Family<Gauge>* inflight;
  Family<Counter>* requests;
  Family<Histogram>* duration;
  Family<Histogram>* request_size;
  Family<Histogram>* response_size;
};

// What every connection of one server shares.
struct ServerState {
  HttpServerOptions opts;
  std::shared_ptr<const Router> router;
  std::unique_ptr<WebConfigWatcher> web_config;  // null without --http.config
  std::unique_ptr<HttpMetrics> metrics;          // null without opts.metrics
  // Runs handlers of connections that share their worker with others (see Session::OnRead).
  asio::thread_pool* handlers = nullptr;
  // Requests read and not yet answered, for a graceful shutdown; once draining, connections
  // close after their current answer instead of reading another request.
  mutable std::atomic<int> in_flight{0};
  std::atomic<bool> draining{false};
};

// One connection: reads requests, routes them, writes responses, until the peer closes, the
// idle timeout fires or a request asks for Connection: close. Stream is a plain TCP stream or
// an SSL stream over one (then the connection starts with a TLS handshake).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(tcp::socket socket, const ServerState& state, IoWorker& worker,
          std::shared_ptr<const ActiveWebConfig> active)
      : remote_(RemoteAddress(socket)),
        local_port_(LocalPort(socket)),
        stream_(MakeStream(std::move(socket), active.get())),
        state_(state),
        worker_(worker),
        active_(std::move(active)) {
    worker_.connections++;
  }
  ~Session() { worker_.connections--; }

  void Start() {
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::seconds(state_.opts.read_timeout_seconds));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) {
                                  self->ReadClientCert();
                                  return self->Read();
                                }
                                self->OnHandshakeError(ec);
                              });
    } else {
      Read();
    }
  }

 private:
  static std::string RemoteAddress(const tcp::socket& s) {
    beast::error_code ec;
    auto ep = s.remote_endpoint(ec);
    return ec ? "unknown" : ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  static int LocalPort(const tcp::socket& s) {
    beast::error_code ec;
    auto ep = s.local_endpoint(ec);
    return ec ? 0 : ep.port();
  }
  static Stream MakeStream(tcp::socket s, const ActiveWebConfig* active) {
    if constexpr (kTls) {
      return Stream(std::move(s), *active->ssl);
    } else {
      return Stream(std::move(s));
    }
  }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  // The subject fields of the client's certificate, once per connection.
  void ReadClientCert() {
    if constexpr (kTls) {
      X509* cert = SSL_get_peer_certificate(stream_.native_handle());
      if (cert == nullptr) return;
      X509_NAME* subject = X509_get_subject_name(cert);
      auto field = [&](int nid) {
        const int i = X509_NAME_get_index_by_NID(subject, nid, -1);
        if (i < 0) return std::string();
        ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
        return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                           static_cast<size_t>(ASN1_STRING_length(data)));
      };
      client_cert_.present = true;
      client_cert_.organization = field(NID_organizationName);
      client_cert_.organizational_unit = field(NID_organizationalUnitName);
      client_cert_.common_name = field(NID_commonName);
      X509_free(cert);
    }
  }

  void OnHandshakeError(beast::error_code ec) {
    // A bare TCP probe (a health check) ends before any TLS byte: not worth a line.
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return;
    log::Warn("TLS handshake failed", {{"remote", remote_}, {"err", ec.message()}});
    if (ec.category() == asio::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST) {
      // As Go's server does: tell a plain-HTTP client why, in plain HTTP.
      static const std::string kAnswer =
          "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
      asio::async_write(Lowest(), asio::buffer(kAnswer),
                        [self = this->shared_from_this()](beast::error_code, size_t) {});
    }
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(state_.opts.max_body_bytes);
    Lowest().expires_after(std::chrono::seconds(state_.opts.read_timeout_seconds));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated) {
      return Close();
    }
    if (ec) {
      const bool too_large = ec == http::error::body_limit;
      HttpResponse r{
          too_large ? 413 : 400,
          "text/plain; charset=utf-8",
          too_large ? "request body too large\n" : "malformed HTTP request: " + ec.message() + "\n",
          {}};
      return Write(std::move(r), false, false, /*counted=*/false);
    }
    state_.in_flight++;
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    std::string_view target(msg.target().data(), msg.target().size());
    size_t q = target.find('?');
    req.path = UrlDecode(target.substr(0, q), false);
    req.target = std::string(target);
    if (q != std::string_view::npos) req.params = ParseQueryString(target.substr(q + 1));
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(f.value());
    }
    req.body = std::move(msg.body());
    req.remote_address = remote_;
    req.tls = kTls;
    req.client_cert = client_cert_;
    if (req.method == "POST" &&
        req.headers["content-type"].starts_with("application/x-www-form-urlencoded")) {
      for (auto& p : ParseQueryString(req.body)) req.params.push_back(std::move(p));
    }
    const bool gzip = req.headers["accept-encoding"].find("gzip") != std::string::npos;
    const bool keep_alive = msg.keep_alive();
    // Alone on its worker, the request is served right here: no thread hand-over. A worker
    // that carries other connections too hands the handler to the pool, so a long query does
    // not hold up their requests.
    if (worker_.connections.load() <= 1) {
      worker_.busy = true;
      HttpResponse r = Serve(req);
      worker_.busy = false;
      return Write(std::move(r), keep_alive, gzip);
    }
    asio::post(*state_.handlers,
               [self = this->shared_from_this(), req = std::move(req), keep_alive, gzip]() mutable {
                 HttpResponse r = self->Serve(req);
                 asio::post(self->stream_.get_executor(),
                            [self, r = std::move(r), keep_alive, gzip]() mutable {
                              self->Write(std::move(r), keep_alive, gzip);
                            });
               });
  }

  // Basic auth and headers of the web config in force now (it may have been reloaded since
  // the connection opened), then the router.
  HttpResponse Serve(const HttpRequest& req) {
    std::shared_ptr<const ActiveWebConfig> web =
        state_.web_config ? state_.web_config->Current() : nullptr;
    HttpResponse r;
    std::string user, why;
    auto it = req.headers.find("authorization");
    if (web && web->auth &&
        !web->auth->Check(it == req.headers.end() ? "" : it->second, &user, &why)) {
      log::Warn("HTTP request unauthorized",
                {{"remote", remote_}, {"path", req.path}, {"user", user}, {"reason", why}});
      r = {401, "text/plain; charset=utf-8", "Unauthorized\n", {{"WWW-Authenticate", "Basic"}}};
    } else {
      r = RouteInstrumented(req);
    }
    for (const auto& h : state_.opts.extra_headers) r.headers.push_back(h);
    if (web) {
      for (const auto& h : web->config.headers) r.headers.push_back(h);
    }
    return r;
  }

  // The router; for a named handler, with the request logged as --request.logging-config
  // asks and measured in Thanos's HTTP metrics.
  HttpResponse RouteInstrumented(const HttpRequest& req) {
    const std::string name =
        state_.opts.handler_name ? state_.opts.handler_name(req.path) : std::string();
    const RequestLogging* logging = state_.opts.request_logging.get();
    const HttpMetrics* metrics = state_.metrics.get();
    if (name.empty() || (logging == nullptr && metrics == nullptr))
      return state_.router->Route(req);
    std::vector<std::string> labels;  // handler, method[, tenant]
    if (metrics != nullptr) {
      std::string method = req.method;
      for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      static const std::set<std::string> kMethods = {"get",    "head",    "post", "put",
                                                     "delete", "options", "patch"};
      if (kMethods.count(method) == 0) method = "other";  // bounded label values
      labels = {name, method};
      if (state_.opts.tenant_of) labels.push_back(state_.opts.tenant_of(req));
      metrics->inflight->WithLabelValues(labels).Add(1);
    }
    const RequestLog log = logging != nullptr ? StartLog(*logging, req, name) : RequestLog{};
    const auto start = std::chrono::steady_clock::now();
    HttpResponse r = state_.router->Route(req);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (logging != nullptr) FinishLog(*logging, log, req, r, seconds);
    if (metrics != nullptr) {
      metrics->inflight->WithLabelValues(labels).Add(-1);
      labels.insert(labels.begin(), std::to_string(r.status));  // code first
      metrics->requests->WithLabelValues(labels).Inc();
      metrics->duration->WithLabelValues(labels).Observe(seconds);
      metrics->request_size->WithLabelValues(labels).Observe(static_cast<double>(req.body.size()));
      metrics->response_size->WithLabelValues(labels).Observe(static_cast<double>(r.body.size()));
    }
    return r;
  }

  struct RequestLog {
    int port = 0;
    std::string request_id, method, name;
  };

  RequestLog StartLog(const RequestLogging& logging, const HttpRequest& req,
                      const std::string& name) {
    RequestLog l;
    l.name = name;
    // The port the client addressed (Host), else the one it reached.
    l.port = local_port_;
    if (auto h = req.headers.find("host"); h != req.headers.end()) {
      const size_t colon = h->second.rfind(':');
      if (colon != std::string::npos && h->second.find(']', colon) == std::string::npos)
        l.port = std::atoi(h->second.c_str() + colon + 1);
    }
    auto id = req.headers.find("x-request-id");
    l.request_id = id != req.headers.end() ? id->second : Ulid::New(NowMs()).String();
    l.method = req.method + " " + req.target;
    if (logging.http.decision == LogDecision::kStartAndFinish &&
        logging.LogsHttp(req.path, l.port, false)) {
      log::Debug("started call", {{"protocol", "http"},
                                  {"http.component", "server"},
                                  {"http.start_time", FormatRfc3339Ms(NowMs())},
                                  {"http.method", l.method},
                                  {"http.request_id", l.request_id},
                                  {"thanos.method_name", name}});
    }
    return l;
  }

  void FinishLog(const RequestLogging& logging, const RequestLog& l, const HttpRequest& req,
                 const HttpResponse& r, double seconds) {
    const bool error = r.status < 200 || r.status >= 500;
    if (!logging.LogsHttp(req.path, l.port, error)) return;
    log::Log(error ? log::Level::kError : log::Level::kDebug, "finished call",
             {{"protocol", "http"},
              {"http.component", "server"},
              {"http.method", l.method},
              {"http.request_id", l.request_id},
              {"http.status_code", std::to_string(r.status)},
              {"http.time_ms", GoFormatFloat(seconds * 1000)},
              {"http.remote_addr", remote_},
              {"thanos.method_name", l.name}});
  }

  void Write(HttpResponse r, bool keep_alive, bool gzip, bool counted = true) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), 11);
    res->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    // A handler that sets Content-Encoding has encoded the body itself (the UI's assets).
    const bool encoded = std::any_of(r.headers.begin(), r.headers.end(), [](const auto& h) {
      return beast::iequals(h.first, "content-encoding");
    });
    if (gzip && !encoded && r.body.size() > 1024) {
      res->set(http::field::content_encoding, "gzip");
      res->body() = Gzip(r.body);
    } else {
      res->body() = std::move(r.body);
    }
    res->keep_alive(keep_alive);
    res->prepare_payload();
    Lowest().expires_after(std::chrono::seconds(state_.opts.read_timeout_seconds));
    http::async_write(
        stream_, *res,
        [self = this->shared_from_this(), res, keep_alive, counted](beast::error_code ec, size_t) {
          if (counted) self->state_.in_flight--;
          if (ec || !keep_alive || self->state_.draining) return self->Close();
          self->Read();
        });
  }

  void Close() {
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  const std::string remote_;
  const int local_port_;
  HttpRequest::ClientCert client_cert_;
  Stream stream_;
  const ServerState& state_;  // owned by the server, which outlives its io_context's handlers
  IoWorker& worker_;          // the worker whose thread runs this connection
  std::shared_ptr<const ActiveWebConfig> active_;  // keeps the SSL context alive
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

class BeastServer : public HttpServer {
 public:
  BeastServer(HttpServerOptions opts, std::shared_ptr<const Router> router)
      : state_{std::move(opts), std::move(router), nullptr, nullptr, nullptr},
        handlers_(static_cast<size_t>(std::max(1, state_.opts.threads))),
        acceptor_(accept_ioc_) {
    state_.handlers = &handlers_;
  }
  ~BeastServer() override { Shutdown(0); }

  Status Start() {
    const HttpServerOptions& opts = state_.opts;
    if (opts.metrics != nullptr)
      state_.metrics = std::make_unique<HttpMetrics>(*opts.metrics, bool(opts.tenant_of));
    if (!opts.web_config_file.empty()) {
      STRATA_ASSIGN_OR_RETURN(state_.web_config, WebConfigWatcher::Open(opts.web_config_file));
    }
    const size_t colon = opts.address.rfind(':');
    if (colon == std::string::npos)
      return Status::InvalidArgument("address must be host:port: " + opts.address);
    std::string host = opts.address.substr(0, colon);
    if (host.empty()) host = "0.0.0.0";
    if (host.front() == '[') host = host.substr(1, host.size() - 2);
    beast::error_code ec;
    tcp::resolver resolver(accept_ioc_);
    auto results = resolver.resolve(host, opts.address.substr(colon + 1), ec);
    if (ec || results.empty())
      return Status::InvalidArgument("cannot resolve " + opts.address + ": " + ec.message());
    tcp::endpoint ep = *results.begin();
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return Status::IOError("cannot listen on HTTP address " + opts.address + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    for (int i = 0; i < std::max(1, opts.threads); i++) {
      workers_.push_back(std::make_unique<IoWorker>());
      IoWorker& w = *workers_.back();
      w.thread = std::thread([&w] { w.ioc.run(); });
    }
    Accept();
    accept_thread_ = std::thread([this] { accept_ioc_.run(); });
    return Status::OK();
  }
  int port() const override { return port_; }
  void Shutdown(int64_t grace_ms) override {
    if (stopped_.exchange(true)) return;
    accept_ioc_.stop();
    if (accept_thread_.joinable()) accept_thread_.join();
    beast::error_code ec;
    acceptor_.close(ec);  // new connections are refused at once, not left in the backlog
    // As Go's http.Server.Shutdown: no new connections, requests being served get up to the
    // grace period to be answered, then everything stops.
    state_.draining = true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
    while (state_.in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (auto& w : workers_) w->ioc.stop();
    for (auto& w : workers_) {
      if (w->thread.joinable()) w->thread.join();
    }
    handlers_.stop();
    handlers_.join();
  }

 private:
  // A new connection goes to the worker with the fewest connections among those not running a
  // handler on their own thread (a connection given to such a worker would wait for it).
  IoWorker& PickWorker() {
    IoWorker* best = nullptr;
    for (auto& w : workers_) {
      if (best == nullptr || std::pair(w->busy.load(), w->connections.load()) <
                                 std::pair(best->busy.load(), best->connections.load()))
        best = w.get();
    }
    return *best;
  }

  // The acceptor has a thread of its own, so a worker busy with a long request never delays
  // accepting; the socket moves to its worker once accepted, when the choice is up to date.
  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket accepted) {
      IoWorker& w = PickWorker();
      tcp::socket socket(w.ioc);
      if (!ec) {
        const auto protocol = accepted.local_endpoint(ec).protocol();
        const auto fd = ec ? -1 : accepted.release(ec);
        if (!ec) socket.assign(protocol, fd, ec);
        if (ec && fd >= 0) ::close(fd);
      }
      if (!ec) {
        if (state_.web_config && state_.web_config->tls()) {
          // The TLS context of the config in force at accept time serves this connection.
          auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
              std::move(socket), state_, w, state_.web_config->Current());
          asio::post(w.ioc, [s] { s->Start(); });
        } else {
          auto s =
              std::make_shared<Session<beast::tcp_stream>>(std::move(socket), state_, w, nullptr);
          asio::post(w.ioc, [s] { s->Start(); });
        }
      }
      if (acceptor_.is_open()) Accept();
    });
  }

  // Destroyed in reverse: the acceptor, the handler pool (its queued work holds sessions), the
  // workers (their io_contexts own the sessions' sockets), and last the state every session
  // refers to.
  ServerState state_;
  std::vector<std::unique_ptr<IoWorker>> workers_;
  asio::thread_pool handlers_;
  asio::io_context accept_ioc_{1};
  tcp::acceptor acceptor_;
  std::thread accept_thread_;
  std::atomic<bool> stopped_{false};
  int port_ = 0;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& opts,
                                                      std::shared_ptr<const Router> router) {
  auto s = std::make_unique<BeastServer>(opts, std::move(router));
  STRATA_RETURN_IF_ERROR(s->Start());
  return std::unique_ptr<HttpServer>(std::move(s));
}

}  // namespace strata::server
