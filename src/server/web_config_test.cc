#include "server/web_config.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "server/basic_auth.h"
#include "tsdb/test_util.h"

namespace strata::server {
namespace {

// Published bcrypt test vectors (OpenBSD / crypt_blowfish), so the check does not depend on
// libcrypt having made the hash itself.
constexpr char kUU[] = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";     // U*U
constexpr char kUUU[] = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK";    // U*U*
constexpr char kEmpty[] = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy";  // ""

std::string Error(std::string_view yaml) {
  auto c = ParseWebConfig(yaml, "/etc/strata");
  return c.ok() ? "" : c.status().message();
}

TEST(WebConfigTest, EmptyFileServesPlainHttpWithoutAuth) {
  auto c = ParseWebConfig("", "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->tls);
  EXPECT_TRUE(c->basic_auth_users.empty());
  // A TLS section without certificate and key is plain HTTP too, as in the Go toolkit.
  c = ParseWebConfig("tls_server_config: {min_version: TLS13}\n", "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->tls);
}

TEST(WebConfigTest, UsersHeadersAndTlsOptionsAreRead) {
  auto c = ParseWebConfig(std::string("basic_auth_users:\n  alice: '") + kUU +
                              "'\nhttp_server_config:\n  http2: false\n  headers:\n"
                              "    X-Frame-Options: deny\n    Strict-Transport-Security: "
                              "max-age=31536000\n",
                          "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->basic_auth_users.at("alice"), kUU);
  EXPECT_FALSE(c->http2);
  ASSERT_EQ(c->headers.size(), 2u);
  EXPECT_EQ(c->headers[0].first, "X-Frame-Options");
  EXPECT_EQ(c->headers[1].second, "max-age=31536000");
}

TEST(WebConfigTest, MistakesAreNamed) {
  EXPECT_EQ(Error("tls_config: {}\n"), "web config: unknown field \"tls_config\"");
  EXPECT_EQ(Error("tls_server_config: {certfile: a}\n"),
            "tls_server_config: unknown field \"certfile\"");
  EXPECT_EQ(Error("tls_server_config: {cert_file: a.crt}\n"),
            "tls_server_config: missing key_file");
  EXPECT_EQ(Error("tls_server_config: {key_file: a.key}\n"),
            "tls_server_config: missing cert_file");
  EXPECT_EQ(Error("tls_server_config: {client_auth_type: Always}\n"),
            "tls_server_config.client_auth_type: invalid ClientAuth \"Always\"");
  EXPECT_EQ(Error("tls_server_config: {min_version: TLS1.2}\n"),
            "tls_server_config.min_version: unknown TLS version \"TLS1.2\" (TLS10, TLS11, TLS12, "
            "TLS13)");
  EXPECT_EQ(Error("tls_server_config: {min_version: TLS13, max_version: TLS12}\n"),
            "tls_server_config: min_version TLS13 is above max_version TLS12");
  EXPECT_EQ(Error("tls_server_config: {cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]}\n"),
            "tls_server_config.cipher_suites: unknown cipher \"TLS_RSA_WITH_RC4_128_SHA\"");
  EXPECT_EQ(Error("tls_server_config: {curve_preferences: [P-256]}\n"),
            "tls_server_config.curve_preferences: unknown curve \"P-256\" (CurveP256, CurveP384, "
            "CurveP521, X25519)");
  EXPECT_EQ(Error("tls_server_config: {cert_file: a, key_file: b, client_ca_file: c}\n"),
            "tls_server_config: client_ca_file is set but client_auth_type does not verify client "
            "certificates (use RequireAndVerifyClientCert)");
  EXPECT_EQ(Error("tls_server_config: {cert_file: a, key_file: b, client_auth_type: "
                  "RequireAndVerifyClientCert}\n"),
            "tls_server_config: client_auth_type RequireAndVerifyClientCert needs client_ca_file");
  EXPECT_EQ(Error("http_server_config: {headers: {Server: strata}}\n"),
            "http_server_config.headers: HTTP header \"Server\" can not be configured");
  EXPECT_EQ(Error("http_server_config: {headers: {X-Frame-Options: allow}}\n"),
            "http_server_config.headers: invalid value for X-Frame-Options, expected deny or "
            "sameorigin");
  EXPECT_EQ(Error("basic_auth_users: {alice: secret}\n"),
            "basic_auth_users.alice: not a bcrypt hash (expected $2a$, $2b$ or $2y$ ...)");
  EXPECT_NE(Error("basic_auth_users: [alice]\n").find("expected a mapping"), std::string::npos);
  EXPECT_NE(Error("tls_server_config: [\n").find("cannot parse web config"), std::string::npos);
  auto inline_cert = ParseWebConfig("tls_server_config: {cert: '-----BEGIN'}\n", "");
  EXPECT_EQ(inline_cert.status().code(), StatusCode::kUnsupported);
}

TEST(WebConfigTest, RelativeFilesResolveAgainstTheConfigsDirectory) {
  // The files do not exist: the error names the resolved path.
  const std::string e = Error("tls_server_config: {cert_file: tls/a.crt, key_file: /abs/a.key}\n");
  EXPECT_NE(e.find("/etc/strata/tls/a.crt"), std::string::npos) << e;
}

TEST(WebConfigTest, LoadNamesTheFile) {
  tsdb::TempDir dir;
  const std::string path = dir.path() + "/web.yml";
  ASSERT_TRUE(WriteFileAtomic(path, "basic_auth_users: {bob: plain}\n").ok());
  auto c = LoadWebConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            path + ": basic_auth_users.bob: not a bcrypt hash (expected $2a$, $2b$ or $2y$ ...)");
  EXPECT_NE(LoadWebConfig(dir.path() + "/missing.yml").status().message().find("--http.config"),
            std::string::npos);
}

TEST(BasicAuthTest, BcryptMatchesPublishedVectors) {
  EXPECT_TRUE(BcryptMatches("U*U", kUU));
  EXPECT_TRUE(BcryptMatches("U*U*", kUUU));
  EXPECT_TRUE(BcryptMatches("", kEmpty));
  EXPECT_FALSE(BcryptMatches("U*V", kUU));
  EXPECT_FALSE(BcryptMatches("U*U", "$2a$05$short"));
  // $2y$ and $2b$ (htpasswd's and OpenBSD's prefixes) are the same algorithm for ASCII.
  std::string y = kUU;
  y[2] = 'y';
  EXPECT_TRUE(BcryptMatches("U*U", y));
}

std::string Basic(std::string_view user_pass) {
  // base64 by hand for the few fixed strings below.
  if (user_pass == "alice:U*U") return "Basic YWxpY2U6VSpV";
  if (user_pass == "alice:U*V") return "Basic YWxpY2U6VSpW";
  if (user_pass == "eve:U*U") return "Basic ZXZlOlUqVQ==";
  if (user_pass == "alice") return "Basic YWxpY2U=";
  return "";
}

TEST(BasicAuthTest, ChecksUsersAndSaysWhyNot) {
  BasicAuth auth(std::map<std::string, std::string>{{"alice", kUU}});
  std::string user, why;
  EXPECT_TRUE(auth.Check(Basic("alice:U*U"), &user, &why));
  EXPECT_EQ(user, "alice");
  EXPECT_TRUE(auth.Check(Basic("alice:U*U"), &user, &why));  // remembered
  EXPECT_FALSE(auth.Check(Basic("alice:U*V"), &user, &why));
  EXPECT_EQ(why, "wrong password");
  EXPECT_FALSE(auth.Check(Basic("eve:U*U"), &user, &why));
  EXPECT_EQ(why, "unknown user");
  EXPECT_FALSE(auth.Check("", &user, &why));
  EXPECT_EQ(why, "no credentials");
  EXPECT_FALSE(auth.Check("Bearer abc", &user, &why));
  EXPECT_EQ(why, "Authorization header is not Basic");
  EXPECT_FALSE(auth.Check("Basic !!!", &user, &why));
  EXPECT_EQ(why, "malformed base64 in the Authorization header");
  EXPECT_FALSE(auth.Check(Basic("alice"), &user, &why));
  EXPECT_EQ(why, "no user:password in the Authorization header");
}

}  // namespace
}  // namespace strata::server
