#include "base/env.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace strata {
namespace {

TEST(ExpandEnvParensTest, OnlyTheParenthesisFormIsExpanded) {
  setenv("STRATA_X", "v", 1);
  unsetenv("STRATA_UNSET");
  EXPECT_EQ(*ExpandEnvParens("a $(STRATA_X) $STRATA_X ${STRATA_X} $( $(STRATA_X"),
            "a v $STRATA_X ${STRATA_X} $( $(STRATA_X");
  EXPECT_EQ(ExpandEnvParens("x: $(STRATA_UNSET)").status().message(),
            "found reference to unset environment variable \"STRATA_UNSET\"");
}

}  // namespace
}  // namespace strata
