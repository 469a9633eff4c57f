// Small helpers shared by the end-to-end benchmark programs (not Google Benchmark kernels).
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "base/status.h"

namespace strata::bench {

inline double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Exits with the error: a benchmark that failed has nothing to report.
inline void Check(const Status& st, const char* what) {
  if (st.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, st.ToString().c_str());
  std::exit(1);
}

}  // namespace strata::bench
