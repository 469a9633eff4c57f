#include "server/web_config.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "base/file.h"
#include "tls/pem.h"

namespace strata::server {
namespace {

Status Invalid(const std::string& m) { return Status::InvalidArgument(m); }

Status CheckKeys(const YAML::Node& node, const std::string& where,
                 const std::set<std::string>& allowed) {
  if (!node.IsMap()) return Invalid(where + ": expected a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (!allowed.contains(key)) return Invalid(where + ": unknown field \"" + key + "\"");
  }
  return Status::OK();
}

template <typename T>
Status Get(const YAML::Node& node, const std::string& key, const std::string& where, T* out) {
  const YAML::Node v = node[key];
  if (!v || v.IsNull()) return Status::OK();
  try {
    *out = v.as<T>();
  } catch (const YAML::Exception&) {
    return Invalid(where + "." + key + ": cannot parse " + YAML::Dump(v));
  }
  return Status::OK();
}

std::string Resolve(const std::string& dir, const std::string& file) {
  if (file.empty() || file.front() == '/' || dir.empty()) return file;
  return dir + "/" + file;
}

Result<int> TlsVersion(const std::string& v, const std::string& where) {
  static const std::map<std::string, int> kVersions = {
      {"TLS10", 0x0301}, {"TLS11", 0x0302}, {"TLS12", 0x0303}, {"TLS13", 0x0304}};
  auto it = kVersions.find(v);
  if (it == kVersions.end())
    return Invalid(where + ": unknown TLS version \"" + v + "\" (TLS10, TLS11, TLS12, TLS13)");
  return it->second;
}

// Go's crypto/tls names (tls.CipherSuites and tls.InsecureCipherSuites) -> OpenSSL's. The TLS
// 1.3 suites are accepted and, as in Go, not configurable (OpenSSL's defaults apply).
const std::map<std::string, std::string>& CipherNames() {
  static const std::map<std::string, std::string> kNames = {
      {"TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA"},
      {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
      {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
      {"TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256"},
      {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
      {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
      {"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256"},
      {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256"},
      {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
      {"TLS_AES_128_GCM_SHA256", ""},
      {"TLS_AES_256_GCM_SHA384", ""},
      {"TLS_CHACHA20_POLY1305_SHA256", ""},
  };
  return kNames;
}

Result<ClientAuth> ParseClientAuth(const std::string& s) {
  static const std::map<std::string, ClientAuth> kTypes = {
      {"", ClientAuth::kNone},
      {"NoClientCert", ClientAuth::kNone},
      {"RequestClientCert", ClientAuth::kRequest},
      {"RequireAnyClientCert", ClientAuth::kRequireAny},
      {"VerifyClientCertIfGiven", ClientAuth::kVerifyIfGiven},
      {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerify},
  };
  auto it = kTypes.find(s);
  if (it == kTypes.end())
    return Invalid("tls_server_config.client_auth_type: invalid ClientAuth \"" + s + "\"");
  return it->second;
}

Status ParseTls(const YAML::Node& n, const std::string& dir, WebConfig* out) {
  const std::string w = "tls_server_config";
  if (n.IsNull()) return Status::OK();
  STRATA_RETURN_IF_ERROR(
      CheckKeys(n, w,
                {"cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version",
                 "max_version", "cipher_suites", "curve_preferences", "prefer_server_cipher_suites",
                 "client_allowed_sans", "cert", "key"}));
  if (n["cert"] || n["key"])
    return Status::Unsupported(w +
                               ": inline cert/key are not supported by this strata version; use "
                               "cert_file and key_file");
  TlsServerConfig& t = out->tls_config;
  STRATA_RETURN_IF_ERROR(Get(n, "cert_file", w, &t.cert_file));
  STRATA_RETURN_IF_ERROR(Get(n, "key_file", w, &t.key_file));
  STRATA_RETURN_IF_ERROR(Get(n, "client_ca_file", w, &t.client_ca_file));
  std::string auth, min_v = "TLS12", max_v = "TLS13";
  STRATA_RETURN_IF_ERROR(Get(n, "client_auth_type", w, &auth));
  STRATA_RETURN_IF_ERROR(Get(n, "min_version", w, &min_v));
  STRATA_RETURN_IF_ERROR(Get(n, "max_version", w, &max_v));
  STRATA_RETURN_IF_ERROR(Get(n, "prefer_server_cipher_suites", w, &t.prefer_server_cipher_suites));
  std::vector<std::string> ciphers, curves;
  STRATA_RETURN_IF_ERROR(Get(n, "cipher_suites", w, &ciphers));
  STRATA_RETURN_IF_ERROR(Get(n, "curve_preferences", w, &curves));
  STRATA_RETURN_IF_ERROR(Get(n, "client_allowed_sans", w, &t.client_allowed_sans));
  STRATA_ASSIGN_OR_RETURN(t.client_auth, ParseClientAuth(auth));
  STRATA_ASSIGN_OR_RETURN(t.min_version, TlsVersion(min_v, w + ".min_version"));
  STRATA_ASSIGN_OR_RETURN(t.max_version, TlsVersion(max_v, w + ".max_version"));
  if (t.min_version > t.max_version)
    return Invalid(w + ": min_version " + min_v + " is above max_version " + max_v);
  for (const auto& c : ciphers) {
    auto it = CipherNames().find(c);
    if (it == CipherNames().end())
      return Invalid(w + ".cipher_suites: unknown cipher \"" + c + "\"");
    if (!it->second.empty()) t.cipher_suites.push_back(it->second);
  }
  static const std::map<std::string, std::string> kCurves = {
      {"CurveP256", "P-256"}, {"CurveP384", "P-384"}, {"CurveP521", "P-521"}, {"X25519", "X25519"}};
  for (const auto& c : curves) {
    auto it = kCurves.find(c);
    if (it == kCurves.end())
      return Invalid(w + ".curve_preferences: unknown curve \"" + c +
                     "\" (CurveP256, CurveP384, CurveP521, X25519)");
    t.curves.push_back(it->second);
  }
  t.cert_file = Resolve(dir, t.cert_file);
  t.key_file = Resolve(dir, t.key_file);
  t.client_ca_file = Resolve(dir, t.client_ca_file);
  // As the Go toolkit: no certificate and no key means plain HTTP.
  if (t.cert_file.empty() && t.key_file.empty()) {
    if (!t.client_ca_file.empty())
      return Invalid(w + ": client_ca_file needs cert_file and key_file");
    return Status::OK();
  }
  if (t.cert_file.empty()) return Invalid(w + ": missing cert_file");
  if (t.key_file.empty()) return Invalid(w + ": missing key_file");
  const bool verifies =
      t.client_auth == ClientAuth::kVerifyIfGiven || t.client_auth == ClientAuth::kRequireAndVerify;
  if (!t.client_ca_file.empty() && !verifies)
    return Invalid(w +
                   ": client_ca_file is set but client_auth_type does not verify client "
                   "certificates (use RequireAndVerifyClientCert)");
  if (verifies && t.client_ca_file.empty())
    return Invalid(w + ": client_auth_type " + auth + " needs client_ca_file");
  STRATA_RETURN_IF_ERROR(tls::CheckKeyPair(t.cert_file, t.key_file).WithContext(w));
  if (!t.client_ca_file.empty())
    STRATA_RETURN_IF_ERROR(tls::CheckCaFile(t.client_ca_file).WithContext(w + ".client_ca_file"));
  out->tls = true;
  return Status::OK();
}

// The headers the Go toolkit lets a config set, with its checks of their values.
Status ParseHeaders(const YAML::Node& n, WebConfig* out) {
  const std::string w = "http_server_config.headers";
  if (n.IsNull()) return Status::OK();
  if (!n.IsMap()) return Invalid(w + ": expected a mapping");
  static const std::set<std::string> kAllowed = {"Strict-Transport-Security",
                                                 "X-Content-Type-Options", "X-Frame-Options",
                                                 "X-XSS-Protection", "Content-Security-Policy"};
  for (const auto& kv : n) {
    const std::string name = kv.first.as<std::string>();
    std::string value;
    STRATA_RETURN_IF_ERROR(Get(n, name, w, &value));
    if (!kAllowed.contains(name))
      return Invalid(w + ": HTTP header \"" + name + "\" can not be configured");
    std::string lower = value;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "X-Content-Type-Options" && lower != "nosniff")
      return Invalid(w + ": invalid value for X-Content-Type-Options, expected nosniff");
    if (name == "X-Frame-Options" && lower != "deny" && lower != "sameorigin")
      return Invalid(w + ": invalid value for X-Frame-Options, expected deny or sameorigin");
    out->headers.emplace_back(name, value);
  }
  return Status::OK();
}

}  // namespace

Result<WebConfig> ParseWebConfig(std::string_view yaml, const std::string& dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Invalid("cannot parse web config: " + std::string(e.what()));
  }
  WebConfig out;
  if (!root || root.IsNull()) return out;
  STRATA_RETURN_IF_ERROR(CheckKeys(
      root, "web config", {"tls_server_config", "http_server_config", "basic_auth_users"}));
  if (root["tls_server_config"])
    STRATA_RETURN_IF_ERROR(ParseTls(root["tls_server_config"], dir, &out));
  if (const YAML::Node h = root["http_server_config"]; h && !h.IsNull()) {
    STRATA_RETURN_IF_ERROR(CheckKeys(h, "http_server_config", {"http2", "headers"}));
    STRATA_RETURN_IF_ERROR(Get(h, "http2", "http_server_config", &out.http2));
    if (h["headers"]) STRATA_RETURN_IF_ERROR(ParseHeaders(h["headers"], &out));
  }
  if (const YAML::Node u = root["basic_auth_users"]; u && !u.IsNull()) {
    if (!u.IsMap()) return Invalid("basic_auth_users: expected a mapping of user: bcrypt hash");
    for (const auto& kv : u) {
      const std::string user = kv.first.as<std::string>();
      std::string hash;
      STRATA_RETURN_IF_ERROR(Get(u, user, "basic_auth_users", &hash));
      if (!hash.starts_with("$2a$") && !hash.starts_with("$2b$") && !hash.starts_with("$2y$"))
        return Invalid("basic_auth_users." + user +
                       ": not a bcrypt hash (expected $2a$, $2b$ or $2y$ ...)");
      out.basic_auth_users[user] = hash;
    }
  }
  return out;
}

Result<WebConfig> LoadWebConfig(const std::string& path) {
  auto data = ReadFile(path);
  if (!data.ok()) return data.status().WithContext("--http.config");
  const size_t slash = path.rfind('/');
  auto cfg = ParseWebConfig(*data, slash == std::string::npos ? "" : path.substr(0, slash));
  if (!cfg.ok()) return cfg.status().WithContext(path);
  return cfg;
}

Status CheckWebConfigFile(const std::string& path) {
  return path.empty() ? Status::OK() : LoadWebConfig(path).status();
}

}  // namespace strata::server
