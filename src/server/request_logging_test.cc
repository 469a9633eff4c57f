#include "server/request_logging.h"

#include <gtest/gtest.h>

namespace strata::server {
namespace {

std::string ErrorOf(const std::string& yaml) {
  auto r = ParseRequestLogging(yaml);
  return r.ok() ? "ok" : r.status().message();
}

TEST(RequestLoggingTest, OptionsResolveAsThanos) {
  EXPECT_EQ(*ParseRequestLogging(""), nullptr);                           // no flag: nothing logged
  EXPECT_EQ(*ParseRequestLogging("options:\n  level: INFO\n"), nullptr);  // no decision
  auto global = ParseRequestLogging(
      "options:\n  level: DEBUG\n  decision:\n    log_start: true\n    log_end: true\n");
  ASSERT_TRUE(global.ok()) << global.status().ToString();
  EXPECT_EQ((*global)->http.decision, LogDecision::kStartAndFinish);
  EXPECT_EQ((*global)->grpc.level, "DEBUG");
  // A protocol's options replace the global ones whole.
  auto per = ParseRequestLogging(
      "options:\n  level: DEBUG\n  decision: {log_start: true, log_end: true}\n"
      "grpc:\n  options:\n    level: ERROR\n    decision: {log_end: true}\n");
  ASSERT_TRUE(per.ok());
  EXPECT_EQ((*per)->grpc.level, "ERROR");
  EXPECT_EQ((*per)->grpc.decision, LogDecision::kFinish);
  EXPECT_EQ((*per)->http.decision, LogDecision::kStartAndFinish);
}

TEST(RequestLoggingTest, BadConfigsGetThanosMessages) {
  EXPECT_EQ(ErrorOf("options:\n  level: LOUD\n  decision: {log_end: true}\n"),
            "the format of level is invalid. Expected INFO/DEBUG/ERROR/WARNING, got this LOUD");
  EXPECT_EQ(ErrorOf("options:\n  decision: {log_end: true}\n"), "level field is empty");
  EXPECT_EQ(ErrorOf("options:\n  level: INFO\n  decision: {log_start: true}\n"),
            "log start call is not supported");
  EXPECT_EQ(ErrorOf("options:\n  levle: INFO\n"), "options: field levle not found");
  EXPECT_EQ(ErrorOf("grpc:\n  config:\n  - service: thanos.Store\n    metod: Series\n"),
            "grpc.config: field metod not found");
  EXPECT_NE(ErrorOf("options: [").find("invalid YAML"), std::string::npos);
}

TEST(RequestLoggingTest, WhatIsLogged) {
  auto c = ParseRequestLogging(
      "http:\n  options: {level: INFO, decision: {log_end: true}}\n"
      "  config:\n  - path: /api/v1/query\n    port: 10902\n"
      "grpc:\n  options: {level: ERROR, decision: {log_end: true}}\n"
      "  config:\n  - service: thanos.Store\n    method: Series\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const RequestLogging& l = **c;
  // HTTP: only the listed path and port; at INFO only error lines (Thanos logs successful
  // requests at debug).
  EXPECT_TRUE(l.LogsHttp("/api/v1/query", 10902, true));
  EXPECT_FALSE(l.LogsHttp("/api/v1/query", 10902, false));
  EXPECT_FALSE(l.LogsHttp("/api/v1/query", 9090, true));
  EXPECT_FALSE(l.LogsHttp("/api/v1/labels", 10902, true));
  // gRPC at ERROR: server faults only (Unknown, Internal, ...), and only the listed method.
  EXPECT_TRUE(l.LogsGrpc("/thanos.Store/Series", 13));
  EXPECT_FALSE(l.LogsGrpc("/thanos.Store/Series", 0));
  EXPECT_FALSE(l.LogsGrpc("/thanos.Store/Series", 8));  // ResourceExhausted: warning class
  EXPECT_FALSE(l.LogsGrpc("/thanos.Store/Info", 13));

  auto d = ParseRequestLogging("options: {level: DEBUG, decision: {log_end: true}}\n");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE((*d)->LogsHttp("/anything", 1, false));
  EXPECT_TRUE((*d)->LogsGrpc("/thanos.Store/Series", 0));
  EXPECT_TRUE((*d)->LogsGrpc("/thanos.Store/Series", 8));
  auto w = ParseRequestLogging("options: {level: WARNING, decision: {log_end: true}}\n");
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE((*w)->LogsGrpc("/thanos.Store/Series", 8));
  EXPECT_FALSE((*w)->LogsGrpc("/thanos.Store/Series", 0));
}

}  // namespace
}  // namespace strata::server
