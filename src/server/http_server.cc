#include "server/http_server.h"

#include <zlib.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <optional>
#include <thread>

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

HttpResponse Router::Route(const HttpRequest& req) const {
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

// One connection: reads requests, routes them, writes responses, until the peer closes, the
// idle timeout fires or a request asks for Connection: close.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<const Router> router, const HttpServerOptions& opts)
      : stream_(std::move(socket)), router_(std::move(router)), opts_(opts) {}

  void Start() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(opts_.max_body_bytes);
    stream_.expires_after(std::chrono::seconds(opts_.read_timeout_seconds));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset) {
      return Close();
    }
    if (ec) {
      const bool too_large = ec == http::error::body_limit;
      HttpResponse r{
          too_large ? 413 : 400,
          "text/plain; charset=utf-8",
          too_large ? "request body too large\n" : "malformed HTTP request: " + ec.message() + "\n",
          {}};
      return Write(std::move(r), false, false);
    }
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    std::string_view target(msg.target().data(), msg.target().size());
    size_t q = target.find('?');
    req.path = UrlDecode(target.substr(0, q), false);
    if (q != std::string_view::npos) req.params = ParseQueryString(target.substr(q + 1));
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(f.value());
    }
    req.body = std::move(msg.body());
    if (req.method == "POST" &&
        req.headers["content-type"].starts_with("application/x-www-form-urlencoded")) {
      for (auto& p : ParseQueryString(req.body)) req.params.push_back(std::move(p));
    }
    const bool gzip = req.headers["accept-encoding"].find("gzip") != std::string::npos;
    const bool keep_alive = msg.keep_alive();
    Write(router_->Route(req), keep_alive, gzip);
  }

  void Write(HttpResponse r, bool keep_alive, bool gzip) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), 11);
    res->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    if (gzip && r.body.size() > 1024) {
      res->set(http::field::content_encoding, "gzip");
      res->body() = Gzip(r.body);
    } else {
      res->body() = std::move(r.body);
    }
    res->keep_alive(keep_alive);
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(opts_.read_timeout_seconds));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const Router> router_;
  HttpServerOptions opts_;
};

class BeastServer : public HttpServer {
 public:
  BeastServer(HttpServerOptions opts, std::shared_ptr<const Router> router)
      : opts_(std::move(opts)), router_(std::move(router)), acceptor_(ioc_) {}
  ~BeastServer() override { Shutdown(); }

  Status Start() {
    const size_t colon = opts_.address.rfind(':');
    if (colon == std::string::npos)
      return Status::InvalidArgument("address must be host:port: " + opts_.address);
    std::string host = opts_.address.substr(0, colon);
    if (host.empty()) host = "0.0.0.0";
    if (host.front() == '[') host = host.substr(1, host.size() - 2);
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(host, opts_.address.substr(colon + 1), ec);
    if (ec || results.empty())
      return Status::InvalidArgument("cannot resolve " + opts_.address + ": " + ec.message());
    tcp::endpoint ep = *results.begin();
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return Status::IOError("cannot listen on HTTP address " + opts_.address + ": " +
                             ec.message());
    port_ = acceptor_.local_endpoint().port();
    Accept();
    for (int i = 0; i < std::max(1, opts_.threads); i++)
      threads_.emplace_back([this] { ioc_.run(); });
    return Status::OK();
  }
  int port() const override { return port_; }
  void Shutdown() override {
    if (stopped_.exchange(true)) return;
    ioc_.stop();
    for (auto& t : threads_) t.join();
  }

 private:
  void Accept() {
    acceptor_.async_accept(
        asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
          if (!ec) std::make_shared<Session>(std::move(socket), router_, opts_)->Start();
          if (acceptor_.is_open()) Accept();
        });
  }

  HttpServerOptions opts_;
  std::shared_ptr<const Router> router_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
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
