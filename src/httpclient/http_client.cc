#include "httpclient/http_client.h"

#include <curl/curl.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "base/file.h"

#include <cctype>
#include <mutex>

namespace strata::http {

// Idle curl handles: a handle keeps its connection cache, so reusing it reuses connections.
struct Client::Pool {
  std::mutex mu;
  std::vector<CURL*> idle;
  ~Pool() {
    for (CURL* h : idle) curl_easy_cleanup(h);
  }
  CURL* Take() {
    std::lock_guard<std::mutex> l(mu);
    if (idle.empty()) return curl_easy_init();
    CURL* h = idle.back();
    idle.pop_back();
    return h;
  }
  void Give(CURL* h) {
    std::lock_guard<std::mutex> l(mu);
    idle.push_back(h);
  }
};

namespace {

struct Transfer {
  const Request* req;
  Response* resp;
  CURL* handle;
  bool aborted = false;
};

size_t OnBody(char* p, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  const size_t len = size * n;
  if (t->req->on_data) {
    long status = 0;
    char* ct = nullptr;
    curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(t->handle, CURLINFO_CONTENT_TYPE, &ct);
    if (status >= 200 && status < 300 && ct != nullptr &&
        std::string_view(ct).find(t->req->stream_content_type) != std::string_view::npos) {
      if (!t->req->on_data(std::string_view(p, len))) {
        t->aborted = true;
        return 0;  // makes curl stop with CURLE_WRITE_ERROR
      }
      return len;
    }
  }
  t->resp->body.append(p, len);
  return len;
}

// One header line of the response; a new status line (after a redirect or 100 Continue)
// starts the list again.
size_t OnHeader(char* p, size_t size, size_t n, void* ud) {
  auto* resp = static_cast<Response*>(ud);
  std::string_view line(p, size * n);
  if (line.starts_with("HTTP/")) {
    resp->headers.clear();
    return size * n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  resp->headers.emplace_back(std::move(name), std::string(value));
  return size * n;
}

}  // namespace

std::string Response::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

Client::Client(ClientConfig config) : config_(std::move(config)), pool_(std::make_unique<Pool>()) {}
Client::~Client() = default;

Result<Response> Client::Do(const Request& req) {
  CURL* h = pool_->Take();
  if (h == nullptr) return Status::Internal("curl_easy_init failed");
  curl_easy_reset(h);
  Response resp;
  Transfer t{&req, &resp, h};
  curl_slist* headers = nullptr;
  for (const auto& hd : req.headers) headers = curl_slist_append(headers, hd.c_str());
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout_ms));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.timeout_ms));
  if (req.accept_compressed) curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // gzip, deflate
  const ClientConfig& c = config_;
  if (!c.basic_auth_username.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, c.basic_auth_username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, c.basic_auth_password.c_str());
  }
  if (!c.bearer_token.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
    curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, c.bearer_token.c_str());
  }
  if (c.insecure_skip_verify) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!c.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, c.ca_file.c_str());
  if (!c.cert_file.empty()) curl_easy_setopt(h, CURLOPT_SSLCERT, c.cert_file.c_str());
  if (!c.key_file.empty()) curl_easy_setopt(h, CURLOPT_SSLKEY, c.key_file.c_str());
  if (req.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  } else if (req.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp);
  const CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
  char* ct = nullptr;
  curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
  if (ct != nullptr) resp.content_type = ct;
  curl_slist_free_all(headers);
  pool_->Give(h);
  if (t.aborted)
    return Status(StatusCode::kCancelled, req.method + " " + req.url + ": aborted by the reader");
  if (rc != CURLE_OK) {
    std::string msg = req.method + " " + req.url + ": " + curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT)
      return Status(StatusCode::kDeadlineExceeded,
                    msg + " (after " + std::to_string(req.timeout_ms) + "ms)");
    return Status::IOError(msg);
  }
  return resp;
}

Result<Response> Client::Get(const std::string& url, int64_t timeout_ms) {
  Request r;
  r.url = url;
  r.timeout_ms = timeout_ms;
  return Do(r);
}

namespace {

// Reads a string key of a YAML map, rejecting keys outside `known`.
Status CheckKeys(const YAML::Node& map, const std::string& where,
                 const std::set<std::string>& known) {
  if (!map.IsMap()) return Status::InvalidArgument(where + ": expected a mapping");
  for (const auto& kv : map) {
    const std::string k = kv.first.as<std::string>();
    if (!known.count(k)) return Status::InvalidArgument(where + ": unknown key '" + k + "'");
  }
  return Status::OK();
}

Result<std::string> SecretFile(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(std::string s, ReadFile(path));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

Result<ClientConfig> ParseClientConfig(const std::string& yaml) {
  ClientConfig c;
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("http client config: ") + e.what());
  }
  if (root.IsNull()) return c;
  try {
    STRATA_RETURN_IF_ERROR(CheckKeys(root, "http client config",
                                     {"basic_auth", "bearer_token", "bearer_token_file",
                                      "tls_config", "transport_config", "proxy_url"}));
    if (root["proxy_url"] && !root["proxy_url"].as<std::string>().empty())
      return Status::Unsupported("http client config: proxy_url is not supported");
    if (const auto b = root["basic_auth"]) {
      STRATA_RETURN_IF_ERROR(
          CheckKeys(b, "http client config basic_auth", {"username", "password", "password_file"}));
      c.basic_auth_username = b["username"].as<std::string>("");
      c.basic_auth_password = b["password"].as<std::string>("");
      if (b["password_file"]) {
        STRATA_ASSIGN_OR_RETURN(c.basic_auth_password,
                                SecretFile(b["password_file"].as<std::string>()));
      }
    }
    c.bearer_token = root["bearer_token"].as<std::string>("");
    if (root["bearer_token_file"]) {
      STRATA_ASSIGN_OR_RETURN(c.bearer_token,
                              SecretFile(root["bearer_token_file"].as<std::string>()));
    }
    if (const auto t = root["tls_config"]) {
      STRATA_RETURN_IF_ERROR(
          CheckKeys(t, "http client config tls_config",
                    {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"}));
      c.ca_file = t["ca_file"].as<std::string>("");
      c.cert_file = t["cert_file"].as<std::string>("");
      c.key_file = t["key_file"].as<std::string>("");
      c.server_name = t["server_name"].as<std::string>("");
      c.insecure_skip_verify = t["insecure_skip_verify"].as<bool>(false);
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("http client config: ") + e.what());
  }
  return c;
}

Result<ClientConfig> ReadClientConfig(const std::string& file, const std::string& content) {
  if (!file.empty()) {
    STRATA_ASSIGN_OR_RETURN(std::string yaml, ReadFile(file));
    return ParseClientConfig(yaml);
  }
  return ParseClientConfig(content);
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace strata::http
