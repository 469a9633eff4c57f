// Parses arbitrary PromQL; whatever parses must print to text that parses again (the printer
// feeds format_query and error messages; like Prometheus's, it is not always a fixed point:
// "+Inf ^ x" re-parses as a unary plus), and must evaluate without crashing over a small
// in-memory store.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "promql/engine.h"
#include "storage/memory.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  using namespace strata::promql;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto e = ParseExpr(in);
  if (!e.ok()) return 0;
  const std::string printed = (*e)->String();
  auto again = ParseExpr(printed);
  if (!again.ok()) {
    std::fprintf(stderr, "printed form does not round-trip: %s\n", printed.c_str());
    std::abort();
  }
  static storage::MemoryStore* store = [] {
    auto* s = new storage::MemoryStore();
    for (int i = 0; i < 20; i++) {
      s->Add(Labels{{"__name__", "a"}, {"i", std::to_string(i % 3)}, {"le", std::to_string(i % 4)}},
             i * 15000, i);
    }
    return s;
  }();
  EngineOptions opts;
  opts.max_samples = 100000;
  opts.timeout = std::chrono::milliseconds(200);
  Engine engine(opts);
  (void)engine.Exec(*store, std::move(*e), 0, 300000, 60000, false);
  return 0;
}
