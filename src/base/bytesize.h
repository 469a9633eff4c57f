// Byte sizes as Thanos's flags and cache configs spell them ("250MB", "1GiB", "512KB", "100"):
// units are powers of 1024 whether written KB or KiB (alecthomas/units' Base2Bytes).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace strata {

Result<uint64_t> ParseByteSize(std::string_view s);

}  // namespace strata
