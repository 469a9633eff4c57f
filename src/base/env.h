// Environment variable references in configuration, as Thanos's flags that take a file or its
// content (extkingpin's PathOrContent with env substitution) expand them.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace strata {

// $(NAME) replaced by the environment variable NAME; an unset one is an error. $NAME and
// ${NAME} are left alone, as Thanos does.
Result<std::string> ExpandEnvParens(std::string_view in);

}  // namespace strata
