# Writes OUT, a C++ source listing the Thanos v0.34 commands and flags of DIR/*.txt (one file per
# command, spaces as underscores, one flag per line) for strata::cmd::ThanosCommands().
file(GLOB files RELATIVE ${DIR} ${DIR}/*.txt)
list(SORT files)
set(table "")
foreach(f IN LISTS files)
  string(REGEX REPLACE "\\.txt$" "" command "${f}")
  string(REPLACE "_" " " command "${command}")
  file(STRINGS ${DIR}/${f} flags)
  list(JOIN flags " " joined)
  string(APPEND table "      {\"${command}\", \" ${joined} \"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from src/cmd/thanos_flags by src/cmd/embed_flags.cmake. Do not edit.
#include \"cmd/thanos_flags.h\"

namespace strata::cmd {

std::span<const ThanosCommand> ThanosCommands() {
  static const ThanosCommand kCommands[] = {
${table}  };
  return kCommands;
}

}  // namespace strata::cmd
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
