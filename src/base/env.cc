#include "base/env.h"

#include <cctype>
#include <cstdlib>

namespace strata {

Result<std::string> ExpandEnvParens(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    if (in.substr(i, 2) == "$(") {
      size_t j = i + 2;
      while (j < in.size() && (std::isalnum(static_cast<unsigned char>(in[j])) || in[j] == '_'))
        j++;
      if (j > i + 2 && j < in.size() && in[j] == ')') {
        const std::string name(in.substr(i + 2, j - i - 2));
        const char* v = std::getenv(name.c_str());
        if (v == nullptr)
          return Status::InvalidArgument("found reference to unset environment variable \"" + name +
                                         "\"");
        out += v;
        i = j + 1;
        continue;
      }
    }
    out += in[i++];
  }
  return out;
}

}  // namespace strata
