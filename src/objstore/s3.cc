#include "objstore/s3.h"

#include <curl/curl.h>
#include <pugixml.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>

#include <unistd.h>
#include <mutex>
#include <random>
#include <vector>

#include "base/encoding.h"
#include "base/file.h"
#include "base/sha256.h"
#include "base/shutdown.h"
#include "base/timestamp.h"
#include "objstore/sigv4.h"

namespace strata::objstore {
namespace {

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string key;  // "" for bucket-level requests
  Pairs query;
  Pairs headers;
  std::string_view body;
  bool has_body = false;
  std::FILE* out_file = nullptr;  // stream the response body here instead of into memory
};

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Reusable curl handles: reusing a handle reuses its open connections.
class HandlePool {
 public:
  ~HandlePool() {
    for (CURL* h : free_) curl_easy_cleanup(h);
  }
  CURL* Get() {
    std::lock_guard<std::mutex> l(mu_);
    if (free_.empty()) return curl_easy_init();
    CURL* h = free_.back();
    free_.pop_back();
    return h;
  }
  void Put(CURL* h) {
    std::lock_guard<std::mutex> l(mu_);
    free_.push_back(h);
  }

 private:
  std::mutex mu_;
  std::vector<CURL*> free_;
};

size_t WriteToString(char* p, size_t size, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, size * n);
  return size * n;
}

size_t WriteToFile(char* p, size_t size, size_t n, void* ud) {
  return std::fwrite(p, size, n, static_cast<std::FILE*>(ud)) * size;
}

// curl calls this about once a second per transfer (and more often while data flows): a
// shutdown request aborts the transfer instead of waiting for a stalled server's timeout.
int AbortOnShutdown(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return shutdown::Requested() ? 1 : 0;
}

size_t CollectHeader(char* p, size_t size, size_t n, void* ud) {
  std::string_view line(p, size * n);
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
      v.remove_suffix(1);
    (*static_cast<std::map<std::string, std::string>*>(ud))[name] = std::string(v);
  }
  return size * n;
}

// <Error><Code>..</Code><Message>..</Message></Error> -> "Code: Message".
std::string S3ErrorText(const std::string& body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return "";
  pugi::xml_node e = doc.child("Error");
  if (!e) return "";
  std::string code = e.child_value("Code");
  std::string msg = e.child_value("Message");
  return msg.empty() ? code : code + ": " + msg;
}

int64_t ParseHttpDate(const std::string& s) {
  std::tm tm{};
  if (strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

class S3Bucket : public Bucket {
 public:
  explicit S3Bucket(S3Config c) : c_(std::move(c)), rng_(std::random_device{}()) {
    std::string ep = c_.endpoint;
    virtual_hosted_ =
        c_.bucket_lookup_type == "virtual-hosted" ||
        (c_.bucket_lookup_type == "auto" && ep.find("amazonaws.com") != std::string::npos &&
         c_.bucket.find('.') == std::string::npos);
    host_ = virtual_hosted_ ? c_.bucket + "." + ep : ep;
    base_url_ = std::string(c_.insecure ? "http://" : "https://") + host_;
    region_ = c_.region.empty() ? "us-east-1" : c_.region;
  }

  std::string Name() const override { return c_.bucket; }

  Status Iter(std::string_view dir, const IterFn& fn, bool recursive) override {
    std::string prefix(dir);
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    std::string token;
    while (true) {
      Request r{.method = "GET", .query = {{"list-type", "2"}, {"prefix", prefix}}};
      if (!recursive) r.query.emplace_back("delimiter", "/");
      if (!token.empty()) r.query.emplace_back("continuation-token", token);
      STRATA_ASSIGN_OR_RETURN(Response resp, Do(r));
      if (resp.status != 200) return HttpError(r, resp);
      pugi::xml_document doc;
      if (!doc.load_buffer(resp.body.data(), resp.body.size())) {
        return Status::IOError("list " + c_.bucket + ": malformed ListObjectsV2 response");
      }
      pugi::xml_node root = doc.child("ListBucketResult");
      std::vector<std::string> names;
      for (pugi::xml_node n : root.children("Contents")) {
        std::string key = n.child_value("Key");
        if (key != prefix) names.push_back(std::move(key));
      }
      for (pugi::xml_node n : root.children("CommonPrefixes"))
        names.emplace_back(n.child_value("Prefix"));
      std::sort(names.begin(), names.end());
      for (const auto& n : names) STRATA_RETURN_IF_ERROR(fn(n));
      if (std::string(root.child_value("IsTruncated")) != "true") return Status::OK();
      token = root.child_value("NextContinuationToken");
      if (token.empty())
        return Status::IOError("list " + c_.bucket +
                               ": truncated listing without a continuation token");
    }
  }

  Result<std::string> Get(std::string_view name) override { return GetRange(name, 0, -1); }

  Result<std::string> GetRange(std::string_view name, int64_t offset, int64_t length) override {
    STRATA_RETURN_IF_ERROR(ValidateObjectName(name));
    if (offset < 0) return Status::InvalidArgument("negative offset");
    if (length == 0) return std::string();
    Request r{.method = "GET", .key = std::string(name)};
    bool ranged = offset > 0 || length > 0;
    if (ranged) {
      r.headers.emplace_back("range", "bytes=" + std::to_string(offset) + "-" +
                                          (length > 0 ? std::to_string(offset + length - 1) : ""));
    }
    STRATA_ASSIGN_OR_RETURN(Response resp, Do(r));
    if (resp.status == 416) return std::string();  // range starts past the end
    if (resp.status != 200 && resp.status != 206) return HttpError(r, resp);
    if (resp.status == 200 && ranged) {  // the server ignored the range
      auto off = static_cast<size_t>(offset);
      if (off >= resp.body.size()) return std::string();
      return resp.body.substr(off, length < 0 ? std::string::npos : static_cast<size_t>(length));
    }
    if (resp.status == 206) {
      // Content-Range: bytes first-last/total; the body must hold exactly last-first+1 bytes.
      long long first = 0, last = -1;
      auto cr = resp.headers.find("content-range");
      if (cr == resp.headers.end() ||
          std::sscanf(cr->second.c_str(), "bytes %lld-%lld", &first, &last) != 2 ||
          first != offset) {
        return Status::IOError("get_range " + std::string(name) + ": unexpected Content-Range");
      }
      if (static_cast<long long>(resp.body.size()) != last - first + 1) {
        return Status::IOError("get_range " + std::string(name) + ": truncated body: got " +
                               std::to_string(resp.body.size()) + " of " +
                               std::to_string(last - first + 1) + " bytes");
      }
    }
    return std::move(resp.body);
  }

  Result<bool> Exists(std::string_view name) override {
    STRATA_RETURN_IF_ERROR(ValidateObjectName(name));
    Request r{.method = "HEAD", .key = std::string(name)};
    STRATA_ASSIGN_OR_RETURN(Response resp, Do(r));
    if (resp.status == 404) return false;
    if (resp.status != 200) return HttpError(r, resp);
    return true;
  }

  Result<ObjectAttributes> Attributes(std::string_view name) override {
    STRATA_RETURN_IF_ERROR(ValidateObjectName(name));
    Request r{.method = "HEAD", .key = std::string(name)};
    STRATA_ASSIGN_OR_RETURN(Response resp, Do(r));
    if (resp.status != 200) return HttpError(r, resp);
    ObjectAttributes a;
    a.size = std::atoll(resp.headers["content-length"].c_str());
    a.last_modified_ms = ParseHttpDate(resp.headers["last-modified"]);
    return a;
  }

  Status Upload(std::string_view name, std::string_view data) override {
    STRATA_RETURN_IF_ERROR(ValidateObjectName(name));
    if (static_cast<int64_t>(data.size()) <= c_.part_size) return PutObject(name, data);
    return Multipart(name, static_cast<int64_t>(data.size()),
                     [&](int64_t off, int64_t len, std::string* buf) {
                       buf->assign(data.substr(static_cast<size_t>(off), static_cast<size_t>(len)));
                       return Status::OK();
                     });
  }

  Status UploadFile(std::string_view name, const std::string& path) override {
    STRATA_RETURN_IF_ERROR(ValidateObjectName(name));
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return ErrnoStatus("open", path);
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(f, &std::fclose);
    if (std::fseek(f, 0, SEEK_END) != 0) return ErrnoStatus("seek", path);
    int64_t size = std::ftell(f);
    auto read_part = [&](int64_t off, int64_t len, std::string* buf) -> Status {
      buf->resize(static_cast<size_t>(len));
      if (std::fseek(f, off, SEEK_SET) != 0 ||
          std::fread(buf->data(), 1, buf->size(), f) != buf->size()) {
        return Status::IOError("read " + path + ": short read at offset " + std::to_string(off));
      }
      return Status::OK();
    };
    if (size <= c_.part_size) {
      std::string buf;
      STRATA_RETURN_IF_ERROR(read_part(0, size, &buf));
      return PutObject(name, buf);
    }
    return Multipart(name, size, read_part);
  }

  Status Download(std::string_view name, const std::string& path) override {
    STRATA_RETURN_IF_ERROR(ValidateObjectName(name));
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) return ErrnoStatus("create", tmp);
    Request r{.method = "GET", .key = std::string(name), .out_file = f};
    auto resp = Do(r);
    bool write_ok = std::fflush(f) == 0;
    std::fclose(f);
    Status st = resp.ok() ? Status::OK() : resp.status();
    if (st.ok() && resp->status != 200) st = HttpError(r, *resp);
    if (st.ok() && !write_ok) st = Status::IOError("write " + tmp + " failed");
    if (st.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) st = ErrnoStatus("rename", tmp);
    if (!st.ok()) std::remove(tmp.c_str());
    return st;
  }

  Status Delete(std::string_view name) override {
    STRATA_RETURN_IF_ERROR(ValidateObjectName(name));
    Request r{.method = "DELETE", .key = std::string(name)};
    STRATA_ASSIGN_OR_RETURN(Response resp, Do(r));
    if (resp.status != 204 && resp.status != 200) return HttpError(r, resp);
    return Status::OK();
  }

 private:
  using PartReader = std::function<Status(int64_t off, int64_t len, std::string* buf)>;

  Pairs UploadHeaders() const {
    Pairs h = {{"content-type", "application/octet-stream"}};
    for (const auto& [k, v] : c_.put_user_metadata) h.emplace_back("x-amz-meta-" + k, v);
    if (c_.sse_type == "SSE-S3") h.emplace_back("x-amz-server-side-encryption", "AES256");
    return h;
  }

  Status PutObject(std::string_view name, std::string_view data) {
    Request r{.method = "PUT",
              .key = std::string(name),
              .headers = UploadHeaders(),
              .body = data,
              .has_body = true};
    STRATA_ASSIGN_OR_RETURN(Response resp, Do(r));
    if (resp.status != 200) return HttpError(r, resp);
    return Status::OK();
  }

  Status Multipart(std::string_view name, int64_t size, const PartReader& read_part) {
    const std::string key(name);
    Request init{.method = "POST",
                 .key = key,
                 .query = {{"uploads", ""}},
                 .headers = UploadHeaders(),
                 .has_body = true};
    STRATA_ASSIGN_OR_RETURN(Response resp, Do(init));
    if (resp.status != 200) return HttpError(init, resp);
    pugi::xml_document doc;
    doc.load_buffer(resp.body.data(), resp.body.size());
    std::string upload_id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
    if (upload_id.empty()) return Status::IOError("upload " + key + ": no UploadId in response");

    Status st = UploadParts(key, upload_id, size, read_part);
    if (!st.ok()) {
      Request abort{.method = "DELETE", .key = key, .query = {{"uploadId", upload_id}}};
      (void)Do(abort);  // best effort; the original error is what matters
    }
    return st;
  }

  Status UploadParts(const std::string& key, const std::string& upload_id, int64_t size,
                     const PartReader& read_part) {
    std::string complete = "<CompleteMultipartUpload>";
    std::string buf;
    int part = 1;
    for (int64_t off = 0; off < size; off += c_.part_size, part++) {
      int64_t len = std::min(c_.part_size, size - off);
      STRATA_RETURN_IF_ERROR(read_part(off, len, &buf));
      Request r{.method = "PUT",
                .key = key,
                .query = {{"partNumber", std::to_string(part)}, {"uploadId", upload_id}},
                .body = buf,
                .has_body = true};
      STRATA_ASSIGN_OR_RETURN(Response resp, Do(r));
      if (resp.status != 200) return HttpError(r, resp);
      std::string etag = resp.headers["etag"];
      if (etag.empty())
        return Status::IOError("upload " + key + ": part " + std::to_string(part) + " has no ETag");
      complete += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" + etag +
                  "</ETag></Part>";
    }
    complete += "</CompleteMultipartUpload>";
    Request done{.method = "POST",
                 .key = key,
                 .query = {{"uploadId", upload_id}},
                 .headers = {{"content-type", "application/xml"}},
                 .body = complete,
                 .has_body = true};
    STRATA_ASSIGN_OR_RETURN(Response resp, Do(done));
    // CompleteMultipartUpload can fail with 200 and an <Error> body.
    if (resp.status != 200 || !S3ErrorText(resp.body).empty()) return HttpError(done, resp);
    return Status::OK();
  }

  std::string Describe(const Request& r) const { return r.method + " " + base_url_ + Path(r.key); }

  Status HttpError(const Request& r, const Response& resp) const {
    std::string detail = S3ErrorText(resp.body);
    std::string what = Describe(r) + ": HTTP " + std::to_string(resp.status) +
                       (detail.empty() ? "" : " " + detail);
    if (resp.status == 404) {
      if (detail.rfind("NoSuchBucket", 0) == 0)
        return Status::NotFound("bucket " + c_.bucket + " does not exist: " + what);
      return Status::NotFound("object " + r.key + " not found: " + what);
    }
    if (resp.status == 403 || resp.status == 401) {
      return Status::PermissionDenied("S3 authentication failed (check access_key/secret_key " +
                                      std::string("and region): ") + what);
    }
    return Status::IOError(what);
  }

  std::string Path(const std::string& key) const {
    std::string p = virtual_hosted_ ? "/" : "/" + UriEncode(c_.bucket, true) + "/";
    if (virtual_hosted_ || !key.empty()) p += UriEncode(key, false);
    if (!virtual_hosted_ && key.empty()) p.pop_back();  // "/bucket"
    return p;
  }

  static bool Retryable(CURLcode code) {
    switch (code) {
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_OPERATION_TIMEDOUT:
      case CURLE_PARTIAL_FILE:
      case CURLE_RECV_ERROR:
      case CURLE_SEND_ERROR:
      case CURLE_GOT_NOTHING:
      case CURLE_SSL_CONNECT_ERROR:
        return true;
      default:
        return false;
    }
  }

  Result<Response> Do(const Request& r) {
    Status last;
    for (int attempt = 0;; attempt++) {
      if (r.out_file != nullptr) {
        std::rewind(r.out_file);
        if (::ftruncate(fileno(r.out_file), 0) != 0)
          return ErrnoStatus("truncate", "download file");
      }
      bool retry = false;
      auto resp = DoOnce(r, &retry);
      if (resp.ok() && (resp->status >= 500 || resp->status == 429)) {
        retry = true;
        last = HttpError(r, *resp);
      } else if (!resp.ok()) {
        last = resp.status();
      } else {
        return resp;
      }
      if (!retry || attempt >= c_.max_retries) {
        if (attempt > 0)
          return last.WithContext("after " + std::to_string(attempt + 1) + " attempts");
        return last;
      }
      int64_t cap = std::min(c_.retry_cap_ms, c_.retry_base_ms << std::min(attempt, 20));
      int64_t sleep_ms;
      {
        std::lock_guard<std::mutex> l(rng_mu_);
        sleep_ms = std::uniform_int_distribution<int64_t>(cap / 2, cap)(rng_);
      }
      if (!shutdown::SleepFor(sleep_ms)) return last.WithContext("shutting down");
    }
  }

  Result<Response> DoOnce(const Request& r, bool* retry) {
    std::string url = base_url_ + Path(r.key);
    std::vector<std::pair<std::string, std::string>> q;
    for (const auto& [k, v] : r.query) q.emplace_back(UriEncode(k, true), UriEncode(v, true));
    std::sort(q.begin(), q.end());
    for (size_t i = 0; i < q.size(); i++)
      url += (i == 0 ? "?" : "&") + q[i].first + "=" + q[i].second;

    SigV4Request sr;
    sr.method = r.method;
    sr.path = Path(r.key);
    sr.query = r.query;
    sr.payload_hash = r.has_body ? Sha256Hex(r.body) : kEmptySha256;
    std::string amz_date = AmzDate(NowMs() / 1000);
    sr.headers = r.headers;
    sr.headers.emplace_back("host", host_);
    sr.headers.emplace_back("x-amz-date", amz_date);
    sr.headers.emplace_back("x-amz-content-sha256", sr.payload_hash);
    if (!c_.session_token.empty())
      sr.headers.emplace_back("x-amz-security-token", c_.session_token);
    std::string auth =
        SigV4Authorization(sr, {c_.access_key, c_.secret_key, c_.session_token}, region_, amz_date);

    if (shutdown::Requested())
      return Status(StatusCode::kCancelled, Describe(r) + ": shutting down");
    curl_slist* hl = nullptr;  // freed after the transfer, on every path below
    for (const auto& [k, v] : sr.headers) {
      if (k != "host") hl = curl_slist_append(hl, (k + ": " + v).c_str());
    }
    hl = curl_slist_append(hl, ("authorization: " + auth).c_str());
    hl = curl_slist_append(hl, "expect:");  // no 100-continue round trip
    if (!r.has_body) hl = curl_slist_append(hl, "content-type:");
    CURL* h = pool_.Get();
    curl_easy_reset(h);
    Response resp;
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(c_.http.tls_handshake_timeout_ms));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);  // a stalled transfer is a timeout
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                     std::max(1L, static_cast<long>(c_.http.response_header_timeout_ms / 1000)));
    curl_easy_setopt(h, CURLOPT_MAXAGE_CONN,
                     static_cast<long>(c_.http.idle_conn_timeout_ms / 1000));
    if (c_.http.insecure_skip_verify) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!c_.http.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, c_.http.ca_file.c_str());
    if (!c_.http.cert_file.empty()) curl_easy_setopt(h, CURLOPT_SSLCERT, c_.http.cert_file.c_str());
    if (!c_.http.key_file.empty()) curl_easy_setopt(h, CURLOPT_SSLKEY, c_.http.key_file.c_str());
    if (r.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (r.method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }
    if (r.has_body) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, r.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    }
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &AbortOnShutdown);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &CollectHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp.headers);
    if (r.out_file != nullptr) {
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteToFile);
      curl_easy_setopt(h, CURLOPT_WRITEDATA, r.out_file);
    } else {
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteToString);
      curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp.body);
    }
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
    curl_slist_free_all(hl);
    pool_.Put(h);
    if (rc == CURLE_ABORTED_BY_CALLBACK)
      return Status(StatusCode::kCancelled, Describe(r) + ": shutting down");
    if (rc != CURLE_OK) {
      *retry = Retryable(rc);
      return Status::IOError(Describe(r) + ": " + curl_easy_strerror(rc));
    }
    // A streamed download that failed: read the error body from the file.
    if (r.out_file != nullptr && resp.status >= 300) {
      std::fflush(r.out_file);
      std::rewind(r.out_file);
      char buf[4096];
      size_t n = std::fread(buf, 1, sizeof(buf), r.out_file);
      resp.body.assign(buf, n);
    }
    return resp;
  }

  S3Config c_;
  bool virtual_hosted_ = false;
  std::string host_, base_url_, region_;
  HandlePool pool_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace

Result<std::unique_ptr<Bucket>> NewS3Bucket(const S3Config& config) {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) return Status::Internal("curl_global_init failed");
  if (config.bucket.empty()) return Status::InvalidArgument("s3: missing bucket name");
  if (config.endpoint.empty()) return Status::InvalidArgument("s3: missing endpoint");
  if (config.endpoint.find("://") != std::string::npos) {
    return Status::InvalidArgument(
        "s3: endpoint \"" + config.endpoint +
        "\" must be host[:port] without a scheme (use insecure: true for http)");
  }
  if (config.access_key.empty() != config.secret_key.empty()) {
    return Status::InvalidArgument("s3: access_key and secret_key must be set together");
  }
  if (config.part_size < (5ll << 20)) {
    return Status::InvalidArgument("s3: part_size must be at least 5 MiB (S3's minimum part size)");
  }
  return std::unique_ptr<Bucket>(new S3Bucket(config));
}

}  // namespace strata::objstore
