// Text formatting that matches Go's standard library, because Prometheus's tools and APIs print
// with it and our output must be byte-identical (promtool tsdb dump, label set strings, JSON).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strata {

// Go's strconv.Quote: double-quoted, with \" \\ \n \t ... and \xNN for invalid UTF-8 and control
// bytes. Non-ASCII code points are kept except the C1 controls and a few invisible ones
// (Go's unicode.IsPrint table is approximated for those).
std::string GoQuote(std::string_view s);

// Go's fmt "%g" / strconv.FormatFloat(v, 'g', -1, 64): shortest round-trip digits, exponent
// form when the decimal exponent is < -4 or >= 6 ("1e+06", "1e-05"), and NaN, +Inf, -Inf
// spelled as Go spells them.
std::string GoFormatFloat(double v);

// strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent. The Append form
// writes into out without allocating (answers format millions of values).
std::string GoFormatFloatF(double v);
void AppendGoFloatF(std::string* out, double v);

// strconv.FormatFloat(v, 'e', -1, 64): shortest digits, always an exponent ("1e-07").
std::string GoFormatFloatE(double v);

// time.Duration's String for whole milliseconds: "0s", "250ms", "1.5s", "2m0s", "721h0m0s".
std::string GoFormatDuration(int64_t ms);

}  // namespace strata
