#include "promql/parser.h"

#include <cmath>
#include <limits>

#include "base/labels.h"
#include "promql/functions.h"
#include "promql/lexer.h"

namespace strata::promql {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<AggOp> AggregatorOf(std::string_view word) {
  static const std::pair<std::string_view, AggOp> kAggs[] = {{"sum", AggOp::kSum},
                                                             {"avg", AggOp::kAvg},
                                                             {"count", AggOp::kCount},
                                                             {"min", AggOp::kMin},
                                                             {"max", AggOp::kMax},
                                                             {"group", AggOp::kGroup},
                                                             {"stddev", AggOp::kStddev},
                                                             {"stdvar", AggOp::kStdvar},
                                                             {"topk", AggOp::kTopk},
                                                             {"bottomk", AggOp::kBottomk},
                                                             {"count_values", AggOp::kCountValues},
                                                             {"quantile", AggOp::kQuantile}};
  std::string w = Lower(word);
  for (const auto& [name, op] : kAggs) {
    if (w == name) return op;
  }
  return std::nullopt;
}

bool IsKeyword(std::string_view word) {
  static const std::string_view kWords[] = {"and",        "or",          "unless", "atan2",
                                            "by",         "without",     "on",     "ignoring",
                                            "group_left", "group_right", "bool",   "offset"};
  std::string w = Lower(word);
  for (auto k : kWords) {
    if (w == k) return true;
  }
  return false;
}

int Precedence(BinOp op) {
  switch (op) {
    case BinOp::kOr:
      return 1;
    case BinOp::kAnd:
    case BinOp::kUnless:
      return 2;
    case BinOp::kEql:
    case BinOp::kNeq:
    case BinOp::kGtr:
    case BinOp::kLss:
    case BinOp::kGte:
    case BinOp::kLte:
      return 3;
    case BinOp::kAdd:
    case BinOp::kSub:
      return 4;
    case BinOp::kMul:
    case BinOp::kDiv:
    case BinOp::kMod:
    case BinOp::kAtan2:
      return 5;
    case BinOp::kPow:
      return 6;
  }
  return 0;
}
constexpr int kUnaryPrecedence = 5;  // like '*': -a^b is -(a^b), -a*b is (-a)*b

class Parser {
 public:
  Parser(std::string_view q, std::vector<Token> toks, const ParseOptions& opts)
      : q_(q), t_(std::move(toks)), opts_(opts) {}

  Result<ExprPtr> ParseAll() {
    if (Peek().kind == Tok::kEOF) return Error(0, "no expression found in input");
    STRATA_ASSIGN_OR_RETURN(ExprPtr e, Expression(0));
    if (Peek().kind != Tok::kEOF) return Unexpected(Peek(), "");
    return e;
  }

  Result<Matchers> ParseSelectorOnly() {
    STRATA_ASSIGN_OR_RETURN(ExprPtr e, Primary());
    if (Peek().kind != Tok::kEOF) return Unexpected(Peek(), "");
    if (e->kind != Expr::Kind::kVectorSelector)
      return Error(e->pos.start, "expected a series selector");
    return static_cast<VectorSelector&>(*e).matchers;
  }

 private:
  const Token& Peek(size_t ahead = 0) const { return t_[std::min(i_ + ahead, t_.size() - 1)]; }
  const Token& Take() { return t_[std::min(i_++, t_.size() - 1)]; }
  bool PeekWord(std::string_view w, size_t ahead = 0) const {
    return Peek(ahead).kind == Tok::kIdent && Lower(Peek(ahead).text) == w;
  }
  Status Error(int pos, std::string_view msg) const { return ParseError(q_, pos, msg); }
  Status Unexpected(const Token& t, std::string_view context) const {
    std::string msg = "unexpected " + DescribeToken(t);
    if (!context.empty()) msg += " in " + std::string(context);
    return Error(t.pos, msg);
  }
  PosRange Range(int start) const { return {start, t_[i_ > 0 ? i_ - 1 : 0].end}; }

  std::optional<BinOp> PeekBinOp() const {
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kAdd:
        return BinOp::kAdd;
      case Tok::kSub:
        return BinOp::kSub;
      case Tok::kMul:
        return BinOp::kMul;
      case Tok::kDiv:
        return BinOp::kDiv;
      case Tok::kMod:
        return BinOp::kMod;
      case Tok::kPow:
        return BinOp::kPow;
      case Tok::kEql:
        return BinOp::kEql;
      case Tok::kNeq:
        return BinOp::kNeq;
      case Tok::kGtr:
        return BinOp::kGtr;
      case Tok::kLss:
        return BinOp::kLss;
      case Tok::kGte:
        return BinOp::kGte;
      case Tok::kLte:
        return BinOp::kLte;
      case Tok::kIdent: {
        std::string w = Lower(t.text);
        if (w == "and") return BinOp::kAnd;
        if (w == "or") return BinOp::kOr;
        if (w == "unless") return BinOp::kUnless;
        if (w == "atan2") return BinOp::kAtan2;
        return std::nullopt;
      }
      default:
        return std::nullopt;
    }
  }

  // Precedence climbing over binary operators; operands are unary expressions.
  Result<ExprPtr> Expression(int min_prec) {
    if (++depth_ > opts_.max_depth) return Error(Peek().pos, "expression nested too deeply");
    STRATA_ASSIGN_OR_RETURN(ExprPtr lhs, Unary());
    int chain = 0;  // a left-deep chain (a+b+c+...) nests as deeply as parentheses would
    while (true) {
      auto op = PeekBinOp();
      if (!op || Precedence(*op) < min_prec) break;
      if (depth_ + ++chain > opts_.max_depth)
        return Error(Peek().pos, "expression nested too deeply");
      Take();
      auto bin = std::make_unique<BinaryExpr>(*op, std::move(lhs), nullptr, PosRange{});
      STRATA_RETURN_IF_ERROR(BinaryModifiers(*bin));
      int next = *op == BinOp::kPow ? Precedence(*op) : Precedence(*op) + 1;  // ^ is right-assoc
      STRATA_ASSIGN_OR_RETURN(bin->rhs, Expression(next));
      bin->pos = {bin->lhs->pos.start, bin->rhs->pos.end};
      STRATA_RETURN_IF_ERROR(CheckBinary(*bin));
      lhs = std::move(bin);
    }
    depth_--;
    return lhs;
  }

  Status BinaryModifiers(BinaryExpr& bin) {
    VectorMatching vm;
    if (PeekWord("bool")) {
      Take();
      bin.return_bool = true;
    }
    if (PeekWord("on") || PeekWord("ignoring")) {
      vm.on = Lower(Take().text) == "on";
      STRATA_ASSIGN_OR_RETURN(vm.labels, LabelList("grouping opts"));
      if (PeekWord("group_left") || PeekWord("group_right")) {
        vm.card = Lower(Take().text) == "group_left" ? VectorMatching::Card::kManyToOne
                                                     : VectorMatching::Card::kOneToMany;
        if (Peek().kind == Tok::kLParen) {
          STRATA_ASSIGN_OR_RETURN(vm.include, LabelList("grouping opts"));
        }
      }
    } else if (PeekWord("group_left") || PeekWord("group_right")) {
      return Unexpected(Peek(), "binary expression");
    }
    if (IsSetOperator(bin.op) && vm.card == VectorMatching::Card::kOneToOne) {
      vm.card = VectorMatching::Card::kManyToMany;
    }
    bin.matching = vm;
    return Status::OK();
  }

  Status CheckBinary(BinaryExpr& n) {
    const ValueType lt = n.lhs->Type(), rt = n.rhs->Type();
    const int pos = n.pos.start;
    if (n.return_bool && !IsComparison(n.op)) {
      return Error(pos, "bool modifier can only be used on comparison operators");
    }
    if (IsComparison(n.op) && !n.return_bool && lt == ValueType::kScalar &&
        rt == ValueType::kScalar) {
      return Error(pos, "comparisons between scalars must use BOOL modifier");
    }
    auto& vm = *n.matching;
    if (vm.on) {
      for (const auto& l1 : vm.labels) {
        for (const auto& l2 : vm.include) {
          if (l1 == l2)
            return Error(pos, "label \"" + l1 + "\" must not occur in ON and GROUP clause at once");
        }
      }
    }
    if (lt != ValueType::kScalar && lt != ValueType::kVector) {
      return Error(n.lhs->pos.start,
                   "binary expression must contain only scalar and instant vector types");
    }
    if (rt != ValueType::kScalar && rt != ValueType::kVector) {
      return Error(n.rhs->pos.start,
                   "binary expression must contain only scalar and instant vector types");
    }
    if (lt != ValueType::kVector || rt != ValueType::kVector) {
      if (!vm.labels.empty())
        return Error(pos, "vector matching only allowed between instant vectors");
      n.matching.reset();
    } else if (IsSetOperator(n.op)) {
      if (vm.card == VectorMatching::Card::kOneToMany ||
          vm.card == VectorMatching::Card::kManyToOne) {
        return Error(
            pos, std::string("no grouping allowed for \"") + BinOpString(n.op) + "\" operation");
      }
    }
    if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOperator(n.op)) {
      return Error(pos, std::string("set operator \"") + BinOpString(n.op) +
                            "\" not allowed in binary scalar expression");
    }
    return Status::OK();
  }

  Result<ExprPtr> Unary() {
    const Token& t = Peek();
    if (t.kind == Tok::kAdd || t.kind == Tok::kSub) {
      const int start = t.pos;
      const bool neg = Take().kind == Tok::kSub;
      STRATA_ASSIGN_OR_RETURN(ExprPtr e, Expression(kUnaryPrecedence + 1));
      if (e->kind == Expr::Kind::kNumber) {  // -1 is a literal, as in Prometheus
        auto& n = static_cast<NumberLiteral&>(*e);
        if (neg) n.value = -n.value;
        n.pos.start = start;
        return e;
      }
      ValueType ty = e->Type();
      if (ty != ValueType::kScalar && ty != ValueType::kVector) {
        return Error(
            start,
            std::string("unary expression only allowed on expressions of type scalar or instant "
                        "vector, got \"") +
                ValueTypeName(ty) + "\"");
      }
      PosRange p{start, e->pos.end};
      return ExprPtr(std::make_unique<UnaryExpr>(neg, std::move(e), p));
    }
    STRATA_ASSIGN_OR_RETURN(ExprPtr e, Primary());
    return Postfix(std::move(e));
  }

  // Ranges, subqueries, offset and @ after a primary expression.
  Result<ExprPtr> Postfix(ExprPtr e) {
    while (true) {
      const Token& t = Peek();
      if (t.kind == Tok::kLBracket) {
        STRATA_ASSIGN_OR_RETURN(e, RangeOrSubquery(std::move(e)));
      } else if (t.kind == Tok::kIdent && Lower(t.text) == "offset") {
        STRATA_RETURN_IF_ERROR(Offset(*e));
      } else if (t.kind == Tok::kAt) {
        STRATA_RETURN_IF_ERROR(At(*e));
      } else {
        return e;
      }
    }
  }

  Result<ExprPtr> RangeOrSubquery(ExprPtr e) {
    const int lb = Take().pos;
    if (Peek().kind != Tok::kDuration) return Unexpected(Peek(), "");
    const int64_t range = Take().duration;
    if (Peek().kind == Tok::kRBracket) {
      Take();
      if (e->kind != Expr::Kind::kVectorSelector) {
        return Error(e->pos.start, "ranges only allowed for vector selectors");
      }
      auto& vs = static_cast<VectorSelector&>(*e);
      if (vs.offset_ms != 0 || vs.at.kind != AtModifier::Kind::kNone) {
        return Error(lb, "no offset modifiers allowed before range");
      }
      PosRange p = Range(e->pos.start);
      return ExprPtr(std::make_unique<MatrixSelector>(std::move(e), range, p));
    }
    if (Peek().kind != Tok::kColon) {
      return Error(Peek().pos, "unexpected " + DescribeToken(Peek()) +
                                   " in subquery or range selector, expected \":\" or \"]\"");
    }
    Take();
    int64_t step = 0;
    if (Peek().kind == Tok::kDuration) step = Take().duration;
    if (Peek().kind != Tok::kRBracket) {
      return Error(Peek().pos,
                   "unexpected " + DescribeToken(Peek()) + " in subquery, expected \"]\"");
    }
    Take();
    const int start = e->pos.start;
    const ValueType ty = e->Type();
    if (ty != ValueType::kVector) {
      return Error(start, std::string("subquery is only allowed on instant vector, got ") +
                              ValueTypeName(ty) + " in \"" + e->String() + "\" instead");
    }
    auto sq = std::make_unique<SubqueryExpr>(std::move(e), PosRange{});
    sq->range_ms = range;
    sq->step_ms = step;
    sq->pos = Range(start);
    return ExprPtr(std::move(sq));
  }

  // The selector or subquery that an offset/@ applies to, or nullptr.
  static Expr* ModifierTarget(Expr& e) {
    if (e.kind == Expr::Kind::kVectorSelector || e.kind == Expr::Kind::kSubquery) return &e;
    if (e.kind == Expr::Kind::kMatrixSelector)
      return static_cast<MatrixSelector&>(e).selector.get();
    return nullptr;
  }

  Status Offset(Expr& e) {
    const Token& kw = Take();
    bool neg = false;
    if (Peek().kind == Tok::kSub || Peek().kind == Tok::kAdd) neg = Take().kind == Tok::kSub;
    if (Peek().kind != Tok::kDuration) {
      return Error(Peek().pos,
                   "unexpected " + DescribeToken(Peek()) + " in offset, expected duration");
    }
    int64_t d = Take().duration * (neg ? -1 : 1);
    Expr* target = ModifierTarget(e);
    if (target == nullptr) {
      return Error(kw.pos,
                   "offset modifier must be preceded by an instant vector selector or range vector "
                   "selector or a subquery");
    }
    int64_t& offset = target->kind == Expr::Kind::kSubquery
                          ? static_cast<SubqueryExpr*>(target)->offset_ms
                          : static_cast<VectorSelector*>(target)->offset_ms;
    if (offset != 0) return Error(kw.pos, "offset may not be set multiple times");
    offset = d;
    e.pos.end = t_[i_ - 1].end;
    return Status::OK();
  }

  Status At(Expr& e) {
    const Token& kw = Take();
    AtModifier at;
    if (PeekWord("start") || PeekWord("end")) {
      at.kind = Lower(Take().text) == "start" ? AtModifier::Kind::kStart : AtModifier::Kind::kEnd;
      if (Peek().kind != Tok::kLParen || Peek(1).kind != Tok::kRParen) {
        return Error(Peek().pos, "unexpected " + DescribeToken(Peek()) + " in @, expected \"()\"");
      }
      Take();
      Take();
    } else {
      bool neg = false;
      if (Peek().kind == Tok::kSub || Peek().kind == Tok::kAdd) neg = Take().kind == Tok::kSub;
      if (Peek().kind != Tok::kNumber) {
        return Error(Peek().pos,
                     "unexpected " + DescribeToken(Peek()) + " in @, expected timestamp");
      }
      double ts = Take().number * (neg ? -1 : 1);
      if (std::isnan(ts) || std::isinf(ts) || ts * 1000 >= 9.2e18 || ts * 1000 <= -9.2e18) {
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%f", ts);
        return Error(kw.pos, std::string("timestamp out of bounds for @ modifier: ") + buf);
      }
      at.kind = AtModifier::Kind::kTimestamp;
      at.timestamp_ms = static_cast<int64_t>(std::round(ts * 1000));
    }
    Expr* target = ModifierTarget(e);
    if (target == nullptr) {
      return Error(
          kw.pos,
          "@ modifier must be preceded by an instant vector selector or range vector selector "
          "or a subquery");
    }
    AtModifier& slot = target->kind == Expr::Kind::kSubquery
                           ? static_cast<SubqueryExpr*>(target)->at
                           : static_cast<VectorSelector*>(target)->at;
    if (slot.kind != AtModifier::Kind::kNone)
      return Error(kw.pos, "@ <timestamp> may not be set multiple times");
    slot = at;
    e.pos.end = t_[i_ - 1].end;
    return Status::OK();
  }

  Result<ExprPtr> Primary() {
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kNumber: {
        Take();
        return ExprPtr(std::make_unique<NumberLiteral>(t.number, PosRange{t.pos, t.end}));
      }
      case Tok::kString: {
        Take();
        return ExprPtr(std::make_unique<StringLiteral>(t.text, PosRange{t.pos, t.end}));
      }
      case Tok::kLParen: {
        const int start = Take().pos;
        STRATA_ASSIGN_OR_RETURN(ExprPtr e, Expression(0));
        if (Peek().kind != Tok::kRParen) return Unexpected(Peek(), "paren expression");
        Take();
        return ExprPtr(std::make_unique<ParenExpr>(std::move(e), Range(start)));
      }
      case Tok::kLBrace:
        return Selector("", t.pos);
      case Tok::kIdent:
        break;
      case Tok::kDuration:
        return Error(t.pos, "unexpected " + DescribeToken(t));
      default:
        return Unexpected(t, "");
    }
    if (auto agg = AggregatorOf(t.text);
        agg && (Peek(1).kind == Tok::kLParen || PeekWord("by", 1) || PeekWord("without", 1))) {
      return Aggregation(*agg);
    }
    if (Peek(1).kind == Tok::kLParen) return FunctionCall();
    if (IsKeyword(t.text) || AggregatorOf(t.text)) return Unexpected(t, "");
    Take();
    return Selector(t.text, t.pos);
  }

  Result<std::vector<std::string>> LabelList(std::string_view context) {
    std::vector<std::string> out;
    if (Peek().kind != Tok::kLParen) {
      return Error(Peek().pos, "unexpected " + DescribeToken(Peek()) + " in " +
                                   std::string(context) + ", expected \"(\"");
    }
    Take();
    while (Peek().kind != Tok::kRParen) {
      const Token& l = Peek();
      if (l.kind != Tok::kIdent) {
        return Error(l.pos, "unexpected " + DescribeToken(l) + " in " + std::string(context) +
                                ", expected label");
      }
      if (!IsValidLabelName(l.text)) return Error(l.pos, "invalid label name \"" + l.text + "\"");
      out.push_back(Take().text);
      STRATA_RETURN_IF_ERROR(ListSeparator(context));
    }
    Take();
    return out;
  }

  // After a list element: takes the comma, or leaves the closing parenthesis to the caller.
  Status ListSeparator(std::string_view context) {
    if (Peek().kind == Tok::kComma) {
      Take();
      return Status::OK();
    }
    if (Peek().kind == Tok::kRParen) return Status::OK();
    return Error(Peek().pos, "unexpected " + DescribeToken(Peek()) + " in " + std::string(context) +
                                 ", expected \",\" or \")\"");
  }

  // "(" expr, expr, ... ")" (a trailing comma is allowed, as in Prometheus).
  Result<std::vector<ExprPtr>> Arguments(std::string_view context) {
    if (Peek().kind != Tok::kLParen) {
      return Error(Peek().pos, "unexpected " + DescribeToken(Peek()) + " in " +
                                   std::string(context) + ", expected \"(\"");
    }
    Take();
    std::vector<ExprPtr> args;
    while (Peek().kind != Tok::kRParen) {
      STRATA_ASSIGN_OR_RETURN(ExprPtr a, Expression(0));
      args.push_back(std::move(a));
      STRATA_RETURN_IF_ERROR(ListSeparator(context));
    }
    Take();
    return args;
  }

  Result<ExprPtr> Aggregation(AggOp op) {
    const int start = Take().pos;
    auto agg = std::make_unique<AggregateExpr>(op, PosRange{});
    auto grouping = [&]() -> Status {
      agg->without = Lower(Take().text) == "without";
      agg->by = !agg->without;
      STRATA_ASSIGN_OR_RETURN(agg->grouping, LabelList("grouping opts"));
      return Status::OK();
    };
    bool grouped = false;
    if (PeekWord("by") || PeekWord("without")) {
      STRATA_RETURN_IF_ERROR(grouping());
      grouped = true;
    }
    STRATA_ASSIGN_OR_RETURN(std::vector<ExprPtr> args, Arguments("aggregation"));
    if (!grouped && (PeekWord("by") || PeekWord("without"))) STRATA_RETURN_IF_ERROR(grouping());
    agg->pos = Range(start);
    const bool with_param = op == AggOp::kTopk || op == AggOp::kBottomk || op == AggOp::kQuantile ||
                            op == AggOp::kCountValues;
    const size_t want = with_param ? 2 : 1;
    if (args.size() != want) {
      return Error(start, "wrong number of arguments for aggregate expression provided, expected " +
                              std::to_string(want) + ", got " + std::to_string(args.size()));
    }
    if (with_param) agg->param = std::move(args[0]);
    agg->expr = std::move(args.back());
    if (agg->expr->Type() != ValueType::kVector) {
      return Error(agg->expr->pos.start,
                   std::string("expected type instant vector in aggregation expression, got ") +
                       ValueTypeName(agg->expr->Type()));
    }
    if (agg->param) {
      ValueType want_param = op == AggOp::kCountValues ? ValueType::kString : ValueType::kScalar;
      if (agg->param->Type() != want_param) {
        return Error(agg->param->pos.start,
                     std::string("expected type ") + ValueTypeName(want_param) +
                         " in aggregation parameter, got " + ValueTypeName(agg->param->Type()));
      }
    }
    return ExprPtr(std::move(agg));
  }

  Result<ExprPtr> FunctionCall() {
    const Token& name = Take();
    const Function* f = LookupFunction(name.text);
    if (f != nullptr && f->extended && !opts_.enable_x_functions) f = nullptr;
    if (f == nullptr) return Error(name.pos, "unknown function with name \"" + name.text + "\"");
    if (f->experimental && !opts_.enable_experimental_functions) {
      return Error(name.pos, "function \"" + name.text + "\" is not enabled");
    }
    STRATA_ASSIGN_OR_RETURN(std::vector<ExprPtr> args, Arguments("function call"));
    PosRange p = Range(name.pos);
    const int nargs = static_cast<int>(f->arg_types.size()), got = static_cast<int>(args.size());
    const std::string fname = "\"" + std::string(f->name) + "\"";
    if (f->variadic == 0) {
      if (nargs != got) {
        return Error(p.start, "expected " + std::to_string(nargs) + " argument(s) in call to " +
                                  fname + ", got " + std::to_string(got));
      }
    } else {
      if (nargs - 1 > got) {
        return Error(p.start, "expected at least " + std::to_string(nargs - 1) +
                                  " argument(s) in call to " + fname + ", got " +
                                  std::to_string(got));
      }
      if (f->variadic > 0 && nargs - 1 + f->variadic < got) {
        return Error(p.start, "expected at most " + std::to_string(nargs - 1 + f->variadic) +
                                  " argument(s) in call to " + fname + ", got " +
                                  std::to_string(got));
      }
    }
    for (int i = 0; i < got; i++) {
      int ti = i;
      if (i >= nargs) {
        if (f->variadic != -1) continue;
        ti = nargs - 1;
      }
      ValueType want = f->arg_types[ti], have = args[i]->Type();
      if (want != have) {
        return Error(args[i]->pos.start, std::string("expected type ") + ValueTypeName(want) +
                                             " in call to function " + fname + ", got " +
                                             ValueTypeName(have));
      }
    }
    if (f->extended && Unwrap(args[0].get())->kind != Expr::Kind::kMatrixSelector) {
      // Thanos's engine hands subqueries to Prometheus's, which has no x-functions.
      return Error(args[0]->pos.start,
                   fname + " takes a range selector; over a subquery it is not supported");
    }
    return ExprPtr(std::make_unique<Call>(f, std::move(args), p));
  }

  Result<ExprPtr> Selector(const std::string& name, int start) {
    auto vs = std::make_unique<VectorSelector>(PosRange{});
    vs->name = name;
    if (Peek().kind == Tok::kLBrace) {
      Take();
      while (Peek().kind != Tok::kRBrace) {
        const Token& l = Peek();
        if (l.kind != Tok::kIdent || !IsValidLabelName(l.text)) {
          return Error(l.pos,
                       "unexpected " + DescribeToken(l) + " in label matching, expected label");
        }
        Take();
        MatchType mt;
        switch (Peek().kind) {
          case Tok::kAssign:
            mt = MatchType::kEqual;
            break;
          case Tok::kNeq:
            mt = MatchType::kNotEqual;
            break;
          case Tok::kEqlRegex:
            mt = MatchType::kRegexMatch;
            break;
          case Tok::kNeqRegex:
            mt = MatchType::kRegexNoMatch;
            break;
          default:
            return Error(Peek().pos, "unexpected " + DescribeToken(Peek()) +
                                         " in label matching, expected label matching operator");
        }
        Take();
        if (Peek().kind != Tok::kString) {
          return Error(Peek().pos, "unexpected " + DescribeToken(Peek()) +
                                       " in label matching, expected string");
        }
        const Token& v = Take();
        auto m = Matcher::Make(mt, l.text, v.text);
        if (!m.ok()) return Error(v.pos, m.status().message());
        vs->matchers.push_back(std::move(*m));
        if (Peek().kind == Tok::kComma) {
          Take();
        } else if (Peek().kind != Tok::kRBrace) {
          return Error(Peek().pos, "unexpected " + DescribeToken(Peek()) +
                                       " in label matching, expected \",\" or \"}\"");
        }
      }
      Take();
    }
    vs->pos = Range(start);
    if (!name.empty()) {
      for (const auto& m : vs->matchers) {
        if (m.name() == "__name__") {
          return Error(start, "metric name must not be set twice: \"" + name + "\" or \"" +
                                  m.value() + "\"");
        }
      }
      vs->matchers.insert(vs->matchers.begin(),
                          *Matcher::Make(MatchType::kEqual, "__name__", name));
    }
    bool non_empty = false;
    for (const auto& m : vs->matchers) non_empty |= !m.Matches("");
    if (!non_empty)
      return Error(start, "vector selector must contain at least one non-empty matcher");
    return ExprPtr(std::move(vs));
  }

  std::string_view q_;
  std::vector<Token> t_;
  size_t i_ = 0;
  ParseOptions opts_;
  int depth_ = 0;
};

}  // namespace

Result<ExprPtr> ParseExpr(std::string_view query, const ParseOptions& opts) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Token> toks, Lex(query));
  return Parser(query, std::move(toks), opts).ParseAll();
}

Result<Matchers> ParseMetricSelector(std::string_view selector) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Token> toks, Lex(selector));
  return Parser(selector, std::move(toks), {}).ParseSelectorOnly();
}

}  // namespace strata::promql
