// libFuzzer target: Prometheus's streamed remote-read response as the sidecar decodes it. The
// input is fed twice: as a raw stream (framing errors), and framed correctly (uvarint length,
// CRC32C) so the ChunkedReadResponse protobuf and label validation behind the checksum are
// reached too. The first byte picks the piece size the body arrives in.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/crc32c.h"
#include "base/encoding.h"
#include "sidecar/remote_read.h"

namespace {

void Feed(std::string_view body, size_t piece) {
  strata::sidecar::ChunkedResponseDecoder d(
      [](strata::Labels, std::vector<strata::sidecar::RemoteChunk>) {
        return strata::Status::OK();
      });
  for (size_t i = 0; i < body.size(); i += piece) {
    if (!d.Feed(body.substr(i, piece)).ok()) return;
  }
  (void)d.Finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 64;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  Feed(input, piece);
  strata::Encoder e;
  e.PutUvarint(input.size());
  std::string framed = e.buf();
  const uint32_t crc = strata::Crc32c(input);
  for (int shift = 24; shift >= 0; shift -= 8) framed.push_back(static_cast<char>(crc >> shift));
  framed += input;
  Feed(framed, piece);
  return 0;
}
