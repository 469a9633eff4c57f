// Prometheus's active query log (--query.active-query-path): <dir>/queries.active, a memory-mapped
// file of one 1000-byte slot per concurrent query (--query.max-concurrent) holding
// {"query": ..., "timestamp_sec": ...} while the query runs. After a crash the file still lists
// what was running; the next start logs those queries ("These queries didn't finish in
// prometheus' last run:") before it clears the file. The layout is Prometheus's
// (promql/query_logger.go), so its tooling reads the file too.
// Thread-safety: Insert and Remove may be called concurrently.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace strata::query {

class ActiveQueries {
 public:
  static constexpr size_t kSlotSize = 1000;

  // Logs the queries a previous run left, then creates a file of 1 + slots * kSlotSize bytes.
  static Result<std::unique_ptr<ActiveQueries>> Open(const std::string& dir, int slots);
  ~ActiveQueries();
  ActiveQueries(const ActiveQueries&) = delete;
  ActiveQueries& operator=(const ActiveQueries&) = delete;

  // Records a query; returns its slot, or -1 when every slot is taken (the caller's gate keeps
  // at most `slots` queries running, so it is not).
  int Insert(std::string_view query, int64_t now_sec);
  void Remove(int slot);

  // The JSON entry Prometheus writes for a query: HTML-safe escaped as Go's json.Marshal, the
  // query cut (at a UTF-8 boundary) so the entry and its comma fit a slot.
  static std::string Entry(std::string_view query, int64_t now_sec);
  // The queries listed in a file's contents ("" when none): NULs dropped, the last comma
  // closing the JSON array.
  static std::string Unfinished(std::string_view contents);

 private:
  ActiveQueries(char* map, size_t size, int slots);

  char* map_;
  const size_t size_;
  std::mutex mu_;
  std::vector<int> free_;
};

}  // namespace strata::query
