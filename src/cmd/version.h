#pragma once

#include <string>

namespace strata::cmd {

// "strata, version X (revision: Y)" plus the Thanos version whose interfaces it follows.
std::string VersionString();
std::string Version();
std::string Revision();

}  // namespace strata::cmd
