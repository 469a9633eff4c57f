#include "objstore/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace strata::objstore {
namespace {

TEST(ObjstoreConfigTest, ExpandsBothEnvFormsOnce) {
  ::setenv("STRATA_TEST_A", "a${STRATA_TEST_B}$(STRATA_TEST_B)", 1);
  ::setenv("STRATA_TEST_B", "b", 1);
  // A variable's value is not expanded again; $(...) that is not a name stays as written.
  EXPECT_EQ(*ExpandEnv("x: ${STRATA_TEST_A} $(STRATA_TEST_B) $(echo hi) $5 $"),
            "x: a${STRATA_TEST_B}$(STRATA_TEST_B) b $(echo hi) $5 $");
  EXPECT_EQ(ExpandEnv("$(STRATA_SURELY_UNSET_VAR)").status().message(),
            "objstore config: environment variable \"STRATA_SURELY_UNSET_VAR\" referenced as "
            "$(STRATA_SURELY_UNSET_VAR) is not set");
}

TEST(ObjstoreConfigTest, ParsesThanosS3Config) {
  ::setenv("STRATA_TEST_SECRET", "s3cr3t", 1);
  auto c = ParseS3Config(R"(
bucket: thanos-metrics
endpoint: minio.storage:9000
access_key: key
secret_key: ${STRATA_TEST_SECRET}
insecure: true
region: eu-west-1
bucket_lookup_type: path
part_size: 10485760
put_user_metadata: {team: obs}
http_config:
  idle_conn_timeout: 1m30s
  response_header_timeout: 2m
  insecure_skip_verify: true
  tls_config: {ca_file: /ca.pem}
sse_config: {type: SSE-S3}
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->bucket, "thanos-metrics");
  EXPECT_EQ(c->endpoint, "minio.storage:9000");
  EXPECT_EQ(c->secret_key, "s3cr3t");
  EXPECT_TRUE(c->insecure);
  EXPECT_EQ(c->region, "eu-west-1");
  EXPECT_EQ(c->part_size, 10485760);
  EXPECT_EQ(c->put_user_metadata.at("team"), "obs");
  EXPECT_EQ(c->http.idle_conn_timeout_ms, 90000);
  EXPECT_EQ(c->http.response_header_timeout_ms, 120000);
  EXPECT_TRUE(c->http.insecure_skip_verify);
  EXPECT_EQ(c->http.ca_file, "/ca.pem");
  EXPECT_EQ(c->sse_type, "SSE-S3");
}

TEST(ObjstoreConfigTest, CredentialsFallBackToAwsEnvironment) {
  ::setenv("AWS_ACCESS_KEY_ID", "envkey", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  auto c = ParseS3Config("bucket: b\nendpoint: e:9000\n");
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key, "envkey");
  EXPECT_EQ(c->secret_key, "envsecret");
}

TEST(ObjstoreConfigTest, ClearErrors) {
  struct Case {
    const char* yaml;
    const char* want;
  } cases[] = {
      {"type: s3\nconfig: {bucket: b, endpoint: e, bogus: 1}\n",
       "unknown key \"bogus\" in s3 config"},
      {"type: s3\nconfig: {bucket: b, endpoint: e, signature_version2: true}\n",
       "signature_version2: true is not supported"},
      {"type: s3\nconfig: {endpoint: e}\n", "config.bucket is required"},
      {"type: s3\nconfig: {bucket: b, endpoint: e, http_config: {idle_conn_timeout: soon}}\n",
       "config.http_config.idle_conn_timeout"},
      {"type: s3\nconfig: {bucket: b, endpoint: e, sse_config: {type: SSE-KMS}}\n",
       "SSE-KMS\" is not supported"},
      {"type: s3\nconfig: {bucket: b, endpoint: \"http://e:9000\"}\n", "without a scheme"},
      {"type: gcs\nconfig: {bucket: b}\n", "type GCS is not supported yet"},
      {"type: nosuch\n", "unknown type \"NOSUCH\""},
      {"type: FILESYSTEM\nconfig: {}\n", "config.directory is required"},
      {"type: FILESYSTEM\nconfig: {directory: /tmp/x}\nextra: 1\n", "unknown key \"extra\""},
      {"type: s3\nconfig: {secret_key: ${STRATA_SURELY_UNSET_VAR}}\n",
       "environment variable \"STRATA_SURELY_UNSET_VAR\""},
      {"type: s3\nconfig: [unclosed\n", "invalid YAML at line"},
  };
  for (const auto& c : cases) {
    auto b = NewBucketFromConfig(c.yaml, nullptr);
    ASSERT_FALSE(b.ok()) << c.yaml;
    EXPECT_NE(b.status().message().find(c.want), std::string::npos)
        << c.yaml << " -> " << b.status().message();
  }
}

TEST(ObjstoreConfigTest, ConfigFlags) {
  EXPECT_FALSE(ReadObjstoreConfigFlags("a", "b").ok());
  EXPECT_EQ(*ReadObjstoreConfigFlags("", "type: S3"), "type: S3");
  EXPECT_TRUE(ReadObjstoreConfigFlags("", "").status().IsNotFound());
  EXPECT_NE(ReadObjstoreConfigFlags("/nonexistent/x.yml", "")
                .status()
                .message()
                .find("--objstore.config-file"),
            std::string::npos);
}

}  // namespace
}  // namespace strata::objstore
