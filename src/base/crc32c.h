// CRC32-Castagnoli, as used by every Prometheus TSDB file (Go's crc32.MakeTable(crc32.Castagnoli)).
// Uses the SSE4.2 crc32 instruction when the CPU has it, a slicing-by-8 table otherwise.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace strata {

// Continues a checksum: Crc32c(b, Crc32c(a)) == Crc32c(a + b).
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);
uint32_t Crc32cSoftware(std::string_view data, uint32_t crc = 0);
bool Crc32cHasHardware();

}  // namespace strata
