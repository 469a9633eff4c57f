#include "frontend/instant.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "frontend/matrix.h"
#include "frontend/util.h"
#include "promql/functions.h"
#include "promql/json.h"

namespace strata::frontend {
namespace {

using nlohmann::json;

Result<promql::Point> ParsePoint(const json& p) {
  if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_string())
    return Status::InvalidArgument("a sample is not [timestamp, \"value\"]");
  const std::string& s = p[1].get_ref<const std::string&>();
  double v;
  if (s == "NaN") {
    v = std::nan("");
  } else if (s == "+Inf" || s == "-Inf") {
    v = s[0] == '+' ? HUGE_VAL : -HUGE_VAL;
  } else {
    char* end = nullptr;
    v = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0')
      return Status::InvalidArgument("sample value \"" + s + "\" is not a number");
  }
  const std::optional<int64_t> t = AnswerTimeMs(p[0].get<double>());
  if (!t) return Status::InvalidArgument("a timestamp is out of range");
  return promql::Point{*t, v};
}

Labels ParseMetric(const json& m) {
  std::vector<Label> ls;
  if (m.is_object()) {
    for (const auto& [k, v] : m.items()) {
      if (v.is_string()) ls.push_back({k, v.get<std::string>()});
    }
  }
  return Labels::FromUnsorted(std::move(ls));
}

// A member that is a string, or "" (nlohmann's value() throws on other types).
std::string StringMember(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

// The outermost call or aggregation, through parentheses.
const promql::Expr* Root(const promql::Expr& e) {
  const promql::Expr* r = &e;
  while (r->kind == promql::Expr::Kind::kParen)
    r = static_cast<const promql::ParenExpr*>(r)->expr.get();
  return r;
}

}  // namespace

Result<InstantAnswer> ParseInstantResponse(std::string_view body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || StringMember(doc, "status") != "success" ||
      !doc.contains("data") || !doc["data"].is_object()) {
    return Status::InvalidArgument("the querier's answer is not a successful query result");
  }
  const json& data = doc["data"];
  const std::string type = StringMember(data, "resultType");
  InstantAnswer a;
  if (doc.contains("warnings") && doc["warnings"].is_array()) {
    for (const auto& w : doc["warnings"]) {
      if (w.is_string()) a.warnings.push_back(w.get<std::string>());
    }
  }
  if (type == "matrix") {
    STRATA_ASSIGN_OR_RETURN(Matrix m, ParseMatrixResponse(body));
    a.result.type = promql::ValueType::kMatrix;
    a.matrix.series = std::move(m.series);
    return a;
  }
  if (type != "vector" || !data.contains("result") || !data["result"].is_array())
    return Status::InvalidArgument("a sharded query answered " + type + ", not a vector");
  a.result.type = promql::ValueType::kVector;
  for (const auto& s : data["result"]) {
    if (!s.is_object() || !s.contains("value"))
      return Status::InvalidArgument("a vector sample has no value");
    STRATA_ASSIGN_OR_RETURN(promql::Point p, ParsePoint(s["value"]));
    a.result.vector.push_back(
        {ParseMetric(s.contains("metric") ? s["metric"] : json::object()), p.t, p.v});
  }
  return a;
}

InstantAnswer MergeInstant(std::vector<InstantAnswer> parts, const promql::Expr& query) {
  InstantAnswer out;
  for (auto& p : parts) {
    for (auto& w : p.warnings) {
      if (std::find(out.warnings.begin(), out.warnings.end(), w) == out.warnings.end())
        out.warnings.push_back(std::move(w));
    }
  }
  if (!parts.empty() && parts[0].result.type == promql::ValueType::kMatrix) {
    std::vector<Matrix> ms;
    for (auto& p : parts) ms.push_back({std::move(p.matrix.series), {}});
    out.result.type = promql::ValueType::kMatrix;
    out.matrix.series = Merge(std::move(ms)).series;
    return out;
  }
  out.result.type = promql::ValueType::kVector;
  auto& v = out.result.vector;
  std::map<Labels, size_t> seen;  // a label set once: the later sample wins
  for (auto& p : parts) {
    for (auto& s : p.result.vector) {
      auto [it, fresh] = seen.emplace(s.labels, v.size());
      if (fresh) {
        v.push_back(std::move(s));
      } else if (s.t > v[it->second].t) {
        v[it->second] = std::move(s);
      }
    }
  }
  const promql::Expr* root = Root(query);
  if (root->kind == promql::Expr::Kind::kAggregate) {
    const auto op = static_cast<const promql::AggregateExpr*>(root)->op;
    if (op == promql::AggOp::kTopk || op == promql::AggOp::kBottomk) return out;
  }
  if (root->kind == promql::Expr::Kind::kCall) {
    const std::string_view f = static_cast<const promql::Call*>(root)->func->name;
    if (f == "sort" || f == "sort_desc") {
      const bool desc = f == "sort_desc";
      std::stable_sort(v.begin(), v.end(),
                       [&](const auto& a, const auto& b) { return desc ? a.v > b.v : a.v < b.v; });
      return out;
    }
  }
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.labels < b.labels; });
  return out;
}

std::string FormatInstantResponse(const InstantAnswer& a) {
  std::string body = "{\"status\":\"success\",\"data\":";
  if (a.result.type == promql::ValueType::kMatrix) {
    AppendMatrixData(&body, a.matrix);
  } else {
    promql::AppendResultData(&body, a.result);
  }
  AppendWarnings(&body, a.warnings);
  return body + "}";
}

}  // namespace strata::frontend
