# Writes OUT, a C++ source that holds every file under ROOT (web/dist) as a byte array and
# lists them in strata::ui::EmbeddedAssets(). Run at build time (cmake -P), so a rebuilt
# web/dist is picked up by the next build; the bytes are in the source itself, so ccache sees
# when they change.
file(GLOB_RECURSE files RELATIVE ${ROOT} ${ROOT}/*)
list(SORT files)
set(body "// Generated from web/dist by src/ui/embed_assets.cmake. Do not edit.\n#include \"ui/assets.h\"\n\nnamespace strata::ui {\nnamespace {\n")
set(table "")
set(i 0)
foreach(f IN LISTS files)
  file(READ ${ROOT}/${f} hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR size "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND body "const unsigned char kAsset${i}[] = {${bytes}0};\n")
  string(APPEND table "    {\"/${f}\", std::string_view(reinterpret_cast<const char*>(kAsset${i}), ${size})},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "}  // namespace\n\nstd::span<const EmbeddedAsset> EmbeddedAssets() {\n  static const EmbeddedAsset kAssets[] = {\n${table}  };\n  return kAssets;\n}\n\n}  // namespace strata::ui\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
