#include "objstore/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "base/duration.h"
#include "base/file.h"
#include "objstore/filesystem.h"
#include "objstore/wrappers.h"

namespace strata::objstore {
namespace {

Status Invalid(const std::string& what) {
  return Status::InvalidArgument("objstore config: " + what);
}

// Fails on keys outside `allowed`, naming the first one (Thanos parses strictly too).
Status CheckKeys(const YAML::Node& node, const std::set<std::string>& allowed,
                 const std::string& where) {
  if (!node || node.IsNull()) return Status::OK();
  if (!node.IsMap()) return Invalid(where + " must be a mapping");
  for (const auto& kv : node) {
    std::string k = kv.first.as<std::string>();
    if (!allowed.count(k)) return Invalid("unknown key \"" + k + "\" in " + where);
  }
  return Status::OK();
}

template <typename T>
Status Get(const YAML::Node& node, const char* key, T* out, const std::string& where) {
  YAML::Node v = node[key];
  if (!v || v.IsNull()) return Status::OK();
  try {
    *out = v.as<T>();
  } catch (const YAML::Exception&) {
    return Invalid(where + "." + key + ": cannot parse \"" + YAML::Dump(v) + "\"");
  }
  return Status::OK();
}

Status GetDuration(const YAML::Node& node, const char* key, int64_t* out_ms,
                   const std::string& where) {
  std::string s;
  STRATA_RETURN_IF_ERROR(Get(node, key, &s, where));
  if (s.empty()) return Status::OK();
  auto d = ParseDuration(s);
  if (!d.ok()) return Invalid(where + "." + key + ": " + d.status().message());
  *out_ms = *d;
  return Status::OK();
}

Result<S3Config> ParseS3(const YAML::Node& c) {
  S3Config s;
  static const std::set<std::string> kKeys = {"bucket",
                                              "endpoint",
                                              "region",
                                              "aws_sdk_auth",
                                              "access_key",
                                              "insecure",
                                              "signature_version2",
                                              "secret_key",
                                              "session_token",
                                              "put_user_metadata",
                                              "http_config",
                                              "trace",
                                              "list_objects_version",
                                              "bucket_lookup_type",
                                              "send_content_md5",
                                              "disable_multipart",
                                              "part_size",
                                              "sse_config",
                                              "sts_endpoint",
                                              "max_retries"};
  STRATA_RETURN_IF_ERROR(CheckKeys(c, kKeys, "s3 config"));
  const std::string w = "config";
  STRATA_RETURN_IF_ERROR(Get(c, "bucket", &s.bucket, w));
  STRATA_RETURN_IF_ERROR(Get(c, "endpoint", &s.endpoint, w));
  STRATA_RETURN_IF_ERROR(Get(c, "region", &s.region, w));
  STRATA_RETURN_IF_ERROR(Get(c, "access_key", &s.access_key, w));
  STRATA_RETURN_IF_ERROR(Get(c, "secret_key", &s.secret_key, w));
  STRATA_RETURN_IF_ERROR(Get(c, "session_token", &s.session_token, w));
  STRATA_RETURN_IF_ERROR(Get(c, "insecure", &s.insecure, w));
  STRATA_RETURN_IF_ERROR(Get(c, "bucket_lookup_type", &s.bucket_lookup_type, w));
  STRATA_RETURN_IF_ERROR(Get(c, "max_retries", &s.max_retries, w));
  if (s.bucket_lookup_type != "auto" && s.bucket_lookup_type != "path" &&
      s.bucket_lookup_type != "virtual-hosted") {
    return Invalid("config.bucket_lookup_type must be auto, path or virtual-hosted, not \"" +
                   s.bucket_lookup_type + "\"");
  }
  uint64_t part_size = 0;
  STRATA_RETURN_IF_ERROR(Get(c, "part_size", &part_size, w));
  if (part_size > 0) s.part_size = static_cast<int64_t>(part_size);
  bool flag = false;
  STRATA_RETURN_IF_ERROR(Get(c, "signature_version2", &flag, w));
  if (flag)
    return Invalid(
        "config.signature_version2: true is not supported; Strata signs with AWS Signature V4 "
        "only");
  flag = false;
  STRATA_RETURN_IF_ERROR(Get(c, "aws_sdk_auth", &flag, w));
  if (flag)
    return Invalid(
        "config.aws_sdk_auth: true is not supported; set access_key/secret_key or "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
  flag = false;
  STRATA_RETURN_IF_ERROR(Get(c, "disable_multipart", &flag, w));
  if (flag) s.part_size = INT64_MAX;  // one PUT per object
  if (YAML::Node md = c["put_user_metadata"]; md && md.IsMap()) {
    for (const auto& kv : md)
      s.put_user_metadata[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  if (YAML::Node h = c["http_config"]; h && !h.IsNull()) {
    static const std::set<std::string> kHttpKeys = {
        "idle_conn_timeout",       "response_header_timeout", "insecure_skip_verify",
        "tls_handshake_timeout",   "expect_continue_timeout", "max_idle_conns",
        "max_idle_conns_per_host", "max_conns_per_host",      "tls_config",
        "disable_compression"};
    STRATA_RETURN_IF_ERROR(CheckKeys(h, kHttpKeys, "config.http_config"));
    const std::string hw = "config.http_config";
    STRATA_RETURN_IF_ERROR(GetDuration(h, "idle_conn_timeout", &s.http.idle_conn_timeout_ms, hw));
    STRATA_RETURN_IF_ERROR(
        GetDuration(h, "response_header_timeout", &s.http.response_header_timeout_ms, hw));
    STRATA_RETURN_IF_ERROR(
        GetDuration(h, "tls_handshake_timeout", &s.http.tls_handshake_timeout_ms, hw));
    STRATA_RETURN_IF_ERROR(Get(h, "insecure_skip_verify", &s.http.insecure_skip_verify, hw));
    if (YAML::Node t = h["tls_config"]; t && !t.IsNull()) {
      STRATA_RETURN_IF_ERROR(
          CheckKeys(t, {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"},
                    "config.http_config.tls_config"));
      const std::string tw = hw + ".tls_config";
      STRATA_RETURN_IF_ERROR(Get(t, "ca_file", &s.http.ca_file, tw));
      STRATA_RETURN_IF_ERROR(Get(t, "cert_file", &s.http.cert_file, tw));
      STRATA_RETURN_IF_ERROR(Get(t, "key_file", &s.http.key_file, tw));
      STRATA_RETURN_IF_ERROR(Get(t, "server_name", &s.http.server_name, tw));
      bool skip = false;
      STRATA_RETURN_IF_ERROR(Get(t, "insecure_skip_verify", &skip, tw));
      s.http.insecure_skip_verify = s.http.insecure_skip_verify || skip;
    }
  }
  if (YAML::Node sse = c["sse_config"]; sse && !sse.IsNull()) {
    STRATA_RETURN_IF_ERROR(
        CheckKeys(sse, {"type", "kms_key_id", "kms_encryption_context", "encryption_key"},
                  "config.sse_config"));
    STRATA_RETURN_IF_ERROR(Get(sse, "type", &s.sse_type, "config.sse_config"));
    if (!s.sse_type.empty() && s.sse_type != "SSE-S3") {
      return Invalid("config.sse_config.type \"" + s.sse_type +
                     "\" is not supported (only SSE-S3)");
    }
  }
  // Credentials fall back to the standard AWS environment variables.
  if (s.access_key.empty() && s.secret_key.empty()) {
    if (const char* k = std::getenv("AWS_ACCESS_KEY_ID")) s.access_key = k;
    if (const char* k = std::getenv("AWS_SECRET_ACCESS_KEY")) s.secret_key = k;
    if (s.session_token.empty()) {
      if (const char* k = std::getenv("AWS_SESSION_TOKEN")) s.session_token = k;
    }
  }
  if (s.bucket.empty()) return Invalid("config.bucket is required for S3");
  if (s.endpoint.empty()) return Invalid("config.endpoint is required for S3");
  return s;
}

Result<YAML::Node> LoadYaml(std::string_view text) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return Invalid("invalid YAML at line " + std::to_string(e.mark.line + 1) + ", column " +
                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const YAML::Exception& e) {
    return Invalid(std::string("invalid YAML: ") + e.what());
  }
}

}  // namespace

Result<std::string> ExpandEnv(std::string_view text) {
  // ${VAR}, and Thanos's $(VAR) (its flags' env substitution), in one pass: what a variable
  // holds is never expanded again.
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = text.find('$', i);
    if (start == std::string_view::npos || start + 1 >= text.size()) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, start - i));
    const char open = text[start + 1];
    if (open != '{' && open != '(') {
      out += '$';
      i = start + 1;
      continue;
    }
    const char close = open == '{' ? '}' : ')';
    const size_t end = text.find(close, start + 2);
    if (end == std::string_view::npos) {
      if (open == '{') return Invalid("unterminated ${ in configuration");
      out += "$(";  // as Thanos: only a complete $(NAME) is a reference
      i = start + 2;
      continue;
    }
    std::string name(text.substr(start + 2, end - start - 2));
    const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
    if (open == '(' && !plain) {
      out += "$(";
      i = start + 2;
      continue;
    }
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) {
      return Invalid("environment variable \"" + name + "\" referenced as " + std::string(1, '$') +
                     open + name + close + " is not set");
    }
    out += v;
    i = end + 1;
  }
  return out;
}

Result<S3Config> ParseS3Config(std::string_view yaml) {
  STRATA_ASSIGN_OR_RETURN(std::string expanded, ExpandEnv(yaml));
  STRATA_ASSIGN_OR_RETURN(YAML::Node n, LoadYaml(expanded));
  return ParseS3(n);
}

Result<std::unique_ptr<Bucket>> NewBucketFromConfig(std::string_view yaml, Registry* metrics) {
  STRATA_ASSIGN_OR_RETURN(std::string expanded, ExpandEnv(yaml));
  STRATA_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(expanded));
  if (!root.IsMap()) return Invalid("expected a mapping with type and config");
  STRATA_RETURN_IF_ERROR(CheckKeys(root, {"type", "config", "prefix"}, "the top level"));
  std::string type, prefix;
  STRATA_RETURN_IF_ERROR(Get(root, "type", &type, "type"));
  STRATA_RETURN_IF_ERROR(Get(root, "prefix", &prefix, "prefix"));
  for (char& ch : type) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  YAML::Node config = root["config"];
  std::unique_ptr<Bucket> bucket;
  if (type == "FILESYSTEM") {
    STRATA_RETURN_IF_ERROR(CheckKeys(config, {"directory"}, "filesystem config"));
    std::string dir;
    if (config) STRATA_RETURN_IF_ERROR(Get(config, "directory", &dir, "config"));
    if (dir.empty()) return Invalid("config.directory is required for FILESYSTEM");
    STRATA_ASSIGN_OR_RETURN(bucket, NewFilesystemBucket(dir));
  } else if (type == "S3") {
    STRATA_ASSIGN_OR_RETURN(S3Config s3, ParseS3(config));
    STRATA_ASSIGN_OR_RETURN(bucket, NewS3Bucket(s3));
  } else if (type == "GCS" || type == "AZURE" || type == "SWIFT" || type == "COS" ||
             type == "ALIYUNOSS" || type == "BOS" || type == "OCI") {
    return Status::Unsupported("objstore config: type " + type +
                               " is not supported yet (supported: S3, FILESYSTEM)");
  } else if (type.empty()) {
    return Invalid("missing type (S3 or FILESYSTEM)");
  } else {
    return Invalid("unknown type \"" + type + "\" (supported: S3, FILESYSTEM)");
  }
  bucket = WithPrefix(std::move(bucket), prefix);
  if (metrics != nullptr) bucket = WithMetrics(std::move(bucket), metrics);
  return bucket;
}

Result<std::string> ReadObjstoreConfigFlags(const std::string& file, const std::string& content) {
  if (!file.empty() && !content.empty()) {
    return Status::InvalidArgument(
        "--objstore.config-file and --objstore.config are mutually exclusive");
  }
  if (!content.empty()) return content;
  if (file.empty())
    return Status::NotFound(
        "no object storage configured (--objstore.config-file or --objstore.config)");
  auto data = ReadFile(file);
  if (!data.ok()) return data.status().WithContext("--objstore.config-file");
  return std::move(*data);
}

}  // namespace strata::objstore
