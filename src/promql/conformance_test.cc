// Prometheus's own PromQL test scripts (../shared/conformance/promql) and ours
// (src/promql/testdata) through the test-script runner: every case must pass; native-histogram
// cases are counted as skipped.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "promql/test_script.h"

namespace strata::promql {
namespace {

namespace fs = std::filesystem;

void RunDir(const fs::path& dir, int* passed, int* skipped) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".test") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << dir;
  for (const auto& f : files) {
    auto content = ReadFile(f.string());
    ASSERT_TRUE(content.ok()) << content.status().ToString();
    auto report = RunTestScript(*content, f.filename().string());
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    for (const auto& failure : report->failures) ADD_FAILURE() << failure;
    *passed += report->passed;
    *skipped += report->skipped;
  }
}

TEST(PromqlConformanceTest, PrometheusSuite) {
  const char* shared = std::getenv("STRATA_SHARED_DIR");
  if (shared == nullptr || !fs::exists(fs::path(shared) / "conformance/promql")) {
    GTEST_SKIP()
        << "../shared/conformance/promql is not present; Prometheus's PromQL suite not run";
  }
  int passed = 0, skipped = 0;
  RunDir(fs::path(shared) / "conformance/promql", &passed, &skipped);
  // The float part of the 2.53 suite; only native-histogram cases may be skipped.
  EXPECT_GE(passed, 579);
  EXPECT_LE(skipped, 189);
}

TEST(PromqlConformanceTest, StrataSuite) {
  int passed = 0, skipped = 0;
  RunDir(fs::path(STRATA_PROMQL_TESTDATA), &passed, &skipped);
  EXPECT_GT(passed, 0);
  EXPECT_EQ(skipped, 0);
}

}  // namespace
}  // namespace strata::promql
