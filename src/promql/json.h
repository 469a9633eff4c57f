// Query results as Prometheus's HTTP API writes them (jsoniter with its standard-library
// compatible settings): values as strings in Go's formatting, timestamps as seconds with up to
// three decimals, labels as objects with sorted keys, HTML-unsafe characters escaped.
#pragma once

#include <string>
#include <string_view>

#include "promql/value.h"

namespace strata::promql {

// A JSON string literal, escaped as Go's encoding/json does (with HTML escaping).
void AppendJsonString(std::string* out, std::string_view s);
// Prometheus's jsonutil.MarshalTimestamp: 1435781451.781, 1435781451, -0.5 -> "-0.500".
void AppendJsonTimestamp(std::string* out, int64_t ms);
// Prometheus's jsonutil.MarshalFloat: "1", "0.1", "1e-07", "NaN", "+Inf".
void AppendJsonValue(std::string* out, double v);
void AppendJsonLabels(std::string* out, const Labels& labels);

// The `data` object: {"resultType":"vector","result":[...]}. AppendResultData writes it at the
// end of out (answers run to megabytes: building them in place saves a copy).
std::string FormatResultData(const QueryResult& r);
void AppendResultData(std::string* out, const QueryResult& r);

}  // namespace strata::promql
