#include "promql/test_script.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

#include "base/duration.h"
#include "base/go_format.h"
#include "promql/functions.h"
#include "storage/memory.h"

namespace strata::promql {
namespace {

constexpr double kStaleNaN = [] {
  return std::bit_cast<double>(uint64_t{0x7ff0000000000002ull});
}();

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) b++;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) e--;
  return std::string(s.substr(b, e - b));
}

Result<int64_t> ParseTime(std::string_view s) {
  if (s == "0") return int64_t{0};
  return ParseDuration(s);
}

Result<double> ParseNumber(std::string_view s) {
  std::string t(s);
  std::string lower;
  for (char c : t) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "inf" || lower == "+inf") return HUGE_VAL;
  if (lower == "-inf") return -HUGE_VAL;
  if (lower == "nan") return std::nan("");
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size())
    return Status::InvalidArgument("bad number \"" + t + "\"");
  return v;
}

// Splits "metric{a="b"} rest" into the series part and the rest.
std::pair<std::string, std::string> SplitSeries(std::string_view line) {
  size_t brace = line.find('{');
  size_t space = line.find_first_of(" \t");
  if (brace != std::string_view::npos && (space == std::string_view::npos || brace < space)) {
    // Find the closing brace outside quotes.
    bool quoted = false;
    for (size_t i = brace; i < line.size(); i++) {
      if (line[i] == '\\' && quoted) {
        i++;
      } else if (line[i] == '"') {
        quoted = !quoted;
      } else if (line[i] == '}' && !quoted) {
        return {std::string(line.substr(0, i + 1)), Trim(line.substr(i + 1))};
      }
    }
  }
  if (space == std::string_view::npos) return {std::string(line), ""};
  return {std::string(line.substr(0, space)), Trim(line.substr(space))};
}

Result<Labels> ParseSeriesLabels(std::string_view desc) {
  if (desc == "{}") return Labels{};
  STRATA_ASSIGN_OR_RETURN(Matchers ms, ParseMetricSelector(desc));
  std::vector<Label> ls;
  for (const auto& m : ms) ls.push_back({m.name(), m.value()});
  return Labels::FromUnsorted(std::move(ls));
}

// Expanding notation: "1 2 _ stale 0+10x5 1-1x3 _x2 7x2". nullopt marks an omitted value.
Result<std::vector<std::optional<double>>> ParseValues(std::string_view text) {
  std::vector<std::optional<double>> out;
  std::istringstream in{std::string(text)};
  std::string tok;
  while (in >> tok) {
    if (tok == "_") {
      out.push_back(std::nullopt);
      continue;
    }
    if (tok == "stale") {
      out.push_back(kStaleNaN);
      continue;
    }
    size_t x = tok.rfind('x');
    if (x == std::string::npos || x == 0) {
      STRATA_ASSIGN_OR_RETURN(double v, ParseNumber(tok));
      out.push_back(v);
      continue;
    }
    const int64_t n = std::strtoll(tok.c_str() + x + 1, nullptr, 10);
    std::string head = tok.substr(0, x);
    if (head == "_") {
      for (int64_t i = 0; i < n; i++) out.push_back(std::nullopt);
      continue;
    }
    // head is "a", "a+b" or "a-b"; the operator is not the leading sign or an exponent's sign.
    size_t op = std::string::npos;
    for (size_t i = 1; i < head.size(); i++) {
      if ((head[i] == '+' || head[i] == '-') && head[i - 1] != 'e' && head[i - 1] != 'E') op = i;
    }
    double start, inc = 0;
    if (op == std::string::npos) {
      STRATA_ASSIGN_OR_RETURN(start, ParseNumber(head));
    } else {
      STRATA_ASSIGN_OR_RETURN(start, ParseNumber(head.substr(0, op)));
      STRATA_ASSIGN_OR_RETURN(inc, ParseNumber(head.substr(op)));
    }
    for (int64_t i = 0; i <= n; i++) {
      out.push_back(start);
      start += inc;
    }
  }
  return out;
}

bool AlmostEqual(double a, double b) {
  constexpr double kEpsilon = 0.000001;
  const double min_normal = std::numeric_limits<double>::min();
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  const double abs_sum = std::fabs(a) + std::fabs(b), diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < min_normal) return diff < kEpsilon * min_normal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < kEpsilon;
}

struct Expected {
  Labels labels;
  double value;
};

struct EvalCase {
  int line = 0;
  std::string expr;
  int64_t at = 0;
  bool fail = false;
  bool ordered = false;
  bool scalar = false;  // the expectation is a bare number
  std::vector<Expected> expected;
};

std::string Fmt(double v) { return GoFormatFloat(v); }

// Compares an instant result with the expectation; returns "" when they agree.
std::string Compare(const EvalCase& c, const QueryResult& r) {
  if (r.type == ValueType::kScalar) {
    if (c.expected.size() != 1)
      return "expected " + std::to_string(c.expected.size()) + " results but got a scalar";
    if (!AlmostEqual(c.expected[0].value, r.scalar)) {
      return "expected Scalar " + Fmt(c.expected[0].value) + " but got " + Fmt(r.scalar);
    }
    return "";
  }
  if (r.type == ValueType::kString) return "unexpected string result \"" + r.str + "\"";
  if (r.type == ValueType::kMatrix) return "received range result on instant evaluation";
  if (r.vector.size() != c.expected.size()) {
    std::string got;
    for (const auto& s : r.vector) got += "\n    " + s.labels.String() + " " + Fmt(s.v);
    return "expected " + std::to_string(c.expected.size()) + " samples but got " +
           std::to_string(r.vector.size()) + ":" + got;
  }
  for (size_t pos = 0; pos < r.vector.size(); pos++) {
    const auto& s = r.vector[pos];
    size_t e = 0;
    while (e < c.expected.size() && !(c.expected[e].labels == s.labels)) e++;
    if (e == c.expected.size())
      return "unexpected metric " + s.labels.String() + " in result, has value " + Fmt(s.v);
    if (c.ordered && e != pos) {
      return "expected metric " + s.labels.String() + " at position " + std::to_string(e + 1) +
             " but was at " + std::to_string(pos + 1);
    }
    if (!AlmostEqual(c.expected[e].value, s.v)) {
      return "expected " + Fmt(c.expected[e].value) + " for " + s.labels.String() + " but got " +
             Fmt(s.v);
    }
  }
  return "";
}

// The expression with `@ t` on every selector and subquery that has none (except inside a
// subquery that has one), or "" when it calls a time-dependent function.
std::string WithAtModifiers(std::string_view expr, int64_t t) {
  auto parsed = ParseExpr(expr);
  if (!parsed.ok()) return "";
  bool time_dependent = false;
  std::function<void(Expr*, bool)> walk = [&](Expr* e, bool under_at) {
    auto set = [&](AtModifier& at) {
      if (!under_at && at.kind == AtModifier::Kind::kNone) at = {AtModifier::Kind::kTimestamp, t};
    };
    switch (e->kind) {
      case Expr::Kind::kVectorSelector:
        set(static_cast<VectorSelector*>(e)->at);
        break;
      case Expr::Kind::kMatrixSelector:
        walk(static_cast<MatrixSelector*>(e)->selector.get(), under_at);
        break;
      case Expr::Kind::kSubquery: {
        auto* sq = static_cast<SubqueryExpr*>(e);
        set(sq->at);
        walk(sq->expr.get(), under_at || sq->at.kind != AtModifier::Kind::kNone);
        break;
      }
      case Expr::Kind::kParen:
        walk(static_cast<ParenExpr*>(e)->expr.get(), under_at);
        break;
      case Expr::Kind::kUnary:
        walk(static_cast<UnaryExpr*>(e)->expr.get(), under_at);
        break;
      case Expr::Kind::kBinary:
        walk(static_cast<BinaryExpr*>(e)->lhs.get(), under_at);
        walk(static_cast<BinaryExpr*>(e)->rhs.get(), under_at);
        break;
      case Expr::Kind::kAggregate: {
        auto* a = static_cast<AggregateExpr*>(e);
        if (a->param) walk(a->param.get(), under_at);
        walk(a->expr.get(), under_at);
        break;
      }
      case Expr::Kind::kCall: {
        auto* c = static_cast<Call*>(e);
        time_dependent = time_dependent || IsTimeDependentFunction(c->func->name);
        for (auto& a : c->args) walk(a.get(), under_at);
        break;
      }
      default:
        break;
    }
  };
  walk(parsed->get(), false);
  if (time_dependent) return "";
  return (*parsed)->String();
}

class Runner {
 public:
  explicit Runner(std::string_view name) : name_(name) {
    opts_.max_samples = 50'000'000;
    opts_.default_subquery_step_ms = 60'000;
    opts_.lookback_delta_ms = 5 * 60'000;
  }

  Result<ScriptReport> Run(std::string_view script) {
    std::vector<std::string> lines;
    std::istringstream in{std::string(script)};
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    for (size_t i = 0; i < lines.size();) {
      std::string line = Trim(lines[i]);
      const int lineno = static_cast<int>(i) + 1;
      i++;
      if (line.empty() || line[0] == '#') continue;
      if (line == "clear") {
        store_.Clear();
        histograms_loaded_ = false;
        continue;
      }
      std::vector<std::string> body;
      while (i < lines.size() && !Trim(lines[i]).empty() && Trim(lines[i])[0] != '#' &&
             std::isspace(static_cast<unsigned char>(lines[i][0]))) {
        body.push_back(Trim(lines[i]));
        i++;
      }
      if (line.starts_with("load ")) {
        STRATA_RETURN_IF_ERROR(Load(line.substr(5), body, lineno));
      } else if (line.starts_with("eval")) {
        STRATA_RETURN_IF_ERROR(Eval(line, body, lineno));
      } else {
        return Status::InvalidArgument(name_ + ":" + std::to_string(lineno) +
                                       ": unknown command: " + line);
      }
    }
    return report_;
  }

 private:
  Status Load(const std::string& step_text, const std::vector<std::string>& body, int lineno) {
    auto step = ParseTime(Trim(step_text));
    if (!step.ok()) return Status::InvalidArgument(Where(lineno) + "bad load step: " + step_text);
    for (const auto& l : body) {
      auto [desc, values] = SplitSeries(l);
      if (values.find("{{") != std::string::npos) {
        histograms_loaded_ = true;
        continue;
      }
      auto labels = ParseSeriesLabels(desc);
      if (!labels.ok()) return Status::InvalidArgument(Where(lineno) + labels.status().message());
      auto vals = ParseValues(values);
      if (!vals.ok()) return Status::InvalidArgument(Where(lineno) + vals.status().message());
      for (size_t k = 0; k < vals->size(); k++) {
        if ((*vals)[k]) store_.Add(*labels, static_cast<int64_t>(k) * *step, *(*vals)[k]);
      }
    }
    return Status::OK();
  }

  Status Eval(const std::string& line, const std::vector<std::string>& body, int lineno) {
    EvalCase c;
    c.line = lineno;
    std::istringstream in(line);
    std::string cmd, mode, at_word, time;
    in >> cmd >> mode;
    c.fail = cmd == "eval_fail";
    c.ordered = cmd == "eval_ordered";
    if (mode != "instant") {
      Skip(lineno, "\"eval " + mode + "\" (only instant evaluations are in the 2.53 float suite)");
      return Status::OK();
    }
    in >> at_word >> time;
    auto t = ParseTime(time);
    if (at_word != "at" || !t.ok())
      return Status::InvalidArgument(Where(lineno) + "bad eval line: " + line);
    c.at = *t;
    std::getline(in, c.expr);
    c.expr = Trim(c.expr);
    for (const auto& l : body) {
      if (l.find("{{") != std::string::npos) {
        Skip(lineno, "native histogram results are not supported yet");
        return Status::OK();
      }
      auto [desc, value] = SplitSeries(l);
      Expected e;
      if (value.empty()) {  // a bare scalar
        auto v = ParseNumber(desc);
        if (!v.ok()) return Status::InvalidArgument(Where(lineno) + v.status().message());
        e.value = *v;
        c.scalar = true;
      } else {
        auto labels = ParseSeriesLabels(desc);
        auto v = ParseNumber(value);
        if (!labels.ok() || !v.ok())
          return Status::InvalidArgument(Where(lineno) + "bad expected result: " + l);
        e.labels = std::move(*labels);
        e.value = *v;
      }
      c.expected.push_back(std::move(e));
    }
    if (histograms_loaded_) {
      Skip(lineno, "native histogram samples are not supported yet");
      return Status::OK();
    }
    std::string err = RunCase(c);
    if (err.empty()) {
      report_.passed++;
    } else {
      report_.failed++;
      report_.failures.push_back(Where(lineno) + c.expr + ": " + err);
    }
    return Status::OK();
  }

  std::string RunCase(const EvalCase& c) {
    std::vector<std::pair<std::string, int64_t>> variants = {{c.expr, c.at}};
    std::string with_at = WithAtModifiers(c.expr, c.at);
    if (!with_at.empty()) {
      std::vector<int64_t> times = {-10 * c.at, 0, c.at / 5, c.at, 10 * c.at};
      if (c.at == 0) times = {0, -1000, 1000};
      for (int64_t et : times) variants.push_back({with_at, et});
    }
    Engine engine(opts_);
    for (const auto& [expr, at] : variants) {
      auto r = engine.InstantQuery(store_, expr, at);
      if (!r.ok()) {
        if (c.fail) continue;
        return "error evaluating " + expr + ": " + r.status().message();
      }
      if (c.fail) return "expected error evaluating " + expr + " but got none";
      std::string diff = Compare(c, *r);
      if (!diff.empty())
        return (expr == c.expr ? "" : "(as " + expr + " at " + std::to_string(at) + ") ") + diff;
      // The same query as a range query must agree at the evaluation time.
      auto rr = engine.RangeQuery(store_, expr, at - 60'000, at + 60'000, 60'000);
      if (!rr.ok()) return "error evaluating " + expr + " in range mode: " + rr.status().message();
      if (c.ordered) continue;
      QueryResult as_instant;
      as_instant.type = r->type == ValueType::kScalar ? ValueType::kScalar : ValueType::kVector;
      for (const auto& s : rr->matrix) {
        for (const auto& p : s.points) {
          if (p.t != at) continue;
          if (as_instant.type == ValueType::kScalar) {
            as_instant.scalar = p.v;
          } else {
            as_instant.vector.push_back({s.labels, p.t, p.v});
          }
        }
      }
      diff = Compare(c, as_instant);
      if (!diff.empty())
        return "range mode" + (expr == c.expr ? "" : " (as " + expr + ")") + ": " + diff;
    }
    return "";
  }

  void Skip(int lineno, const std::string& why) {
    report_.skipped++;
    report_.skips.push_back(Where(lineno) + why);
  }
  std::string Where(int lineno) const { return name_ + ":" + std::to_string(lineno) + ": "; }

  std::string name_;
  EngineOptions opts_;
  storage::MemoryStore store_;
  bool histograms_loaded_ = false;
  ScriptReport report_;
};

}  // namespace

Result<ScriptReport> RunTestScript(std::string_view script, std::string_view name) {
  return Runner(name).Run(script);
}

}  // namespace strata::promql
