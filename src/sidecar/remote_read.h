// Prometheus's remote read protocol (POST /api/v1/read), client side: the snappy-compressed
// ReadRequest asking for STREAMED_XOR_CHUNKS, and a decoder for the streamed response, whose
// frames are a uvarint payload length, the payload's CRC32-Castagnoli (4 bytes big-endian) and
// a ChunkedReadResponse. Chunks are passed on as Prometheus encoded them, never re-encoded.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/labels.h"
#include "base/matcher.h"
#include "base/status.h"

namespace strata::sidecar {

struct RemoteChunk {
  int64_t min_time = 0;
  int64_t max_time = 0;
  uint8_t encoding = 1;  // TSDB chunk encoding byte: 1 XOR, 2 histogram, 3 float histogram
  std::string data;
};

// A remote read request body for one query, snappy-compressed as Prometheus expects.
std::string EncodeReadRequest(const Matchers& matchers, int64_t mint, int64_t maxt);

// Incremental decoder of a streamed response: Feed the body as it arrives; fn gets every series
// of every frame in order. Prometheus splits a long series across consecutive frames, so
// consecutive calls may carry the same labels.
class ChunkedResponseDecoder {
 public:
  using SeriesFn = std::function<Status(Labels labels, std::vector<RemoteChunk> chunks)>;
  static constexpr uint64_t kMaxFrameBytes = 64 << 20;

  explicit ChunkedResponseDecoder(SeriesFn fn) : fn_(std::move(fn)) {}
  // Errors name the byte offset of the bad frame in the response.
  Status Feed(std::string_view data);
  // Fails when the body ended inside a frame.
  Status Finish() const;

 private:
  Status DecodeFrame(std::string_view payload);

  SeriesFn fn_;
  std::string buf_;
  uint64_t consumed_ = 0;  // response bytes before buf_
};

}  // namespace strata::sidecar
