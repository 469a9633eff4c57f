#include "promql/ast.h"

#include <algorithm>
#include <cstdio>

#include "base/duration.h"
#include "base/go_format.h"
#include "promql/functions.h"

namespace strata::promql {

const char* ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNone:
      return "none";
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kVector:
      return "instant vector";
    case ValueType::kMatrix:
      return "range vector";
    case ValueType::kString:
      return "string";
  }
  return "?";
}

const char* BinOpString(BinOp op) {
  static const char* kNames[] = {"+",  "-", "*", "/",  "%",  "^",   "atan2", "==",
                                 "!=", ">", "<", ">=", "<=", "and", "or",    "unless"};
  return kNames[static_cast<int>(op)];
}

bool IsComparison(BinOp op) { return op >= BinOp::kEql && op <= BinOp::kLte; }
bool IsSetOperator(BinOp op) {
  return op == BinOp::kAnd || op == BinOp::kOr || op == BinOp::kUnless;
}

const char* AggOpString(AggOp op) {
  static const char* kNames[] = {"sum",  "avg",     "count",        "min",
                                 "max",  "group",   "stddev",       "stdvar",
                                 "topk", "bottomk", "count_values", "quantile"};
  return kNames[static_cast<int>(op)];
}

const Expr* Unwrap(const Expr* e) {
  while (e->kind == Expr::Kind::kParen || e->kind == Expr::Kind::kStepInvariant) {
    e = e->kind == Expr::Kind::kParen ? static_cast<const ParenExpr*>(e)->expr.get()
                                      : static_cast<const StepInvariantExpr*>(e)->expr.get();
  }
  return e;
}

ValueType Expr::Type() const {
  switch (kind) {
    case Kind::kNumber:
      return ValueType::kScalar;
    case Kind::kString:
      return ValueType::kString;
    case Kind::kVectorSelector:
      return ValueType::kVector;
    case Kind::kMatrixSelector:
    case Kind::kSubquery:
      return ValueType::kMatrix;
    case Kind::kParen:
      return static_cast<const ParenExpr*>(this)->expr->Type();
    case Kind::kStepInvariant:
      return static_cast<const StepInvariantExpr*>(this)->expr->Type();
    case Kind::kUnary:
      return static_cast<const UnaryExpr*>(this)->expr->Type();
    case Kind::kBinary: {
      const auto* b = static_cast<const BinaryExpr*>(this);
      return b->lhs->Type() == ValueType::kScalar && b->rhs->Type() == ValueType::kScalar
                 ? ValueType::kScalar
                 : ValueType::kVector;
    }
    case Kind::kCall:
      return static_cast<const Call*>(this)->func->return_type;
    case Kind::kAggregate:
      return ValueType::kVector;
  }
  return ValueType::kNone;
}

namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); i++) s += (i ? ", " : "") + v[i];
  return s;
}

std::string Duration(int64_t ms) { return ms == 0 ? "0s" : FormatDuration(ms); }

std::string Modifiers(const AtModifier& at, int64_t offset) {
  std::string s;
  switch (at.kind) {
    case AtModifier::Kind::kNone:
      break;
    case AtModifier::Kind::kStart:
      s += " @ start()";
      break;
    case AtModifier::Kind::kEnd:
      s += " @ end()";
      break;
    case AtModifier::Kind::kTimestamp: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), " @ %.3f", static_cast<double>(at.timestamp_ms) / 1000.0);
      s += buf;
      break;
    }
  }
  if (offset > 0) s += " offset " + Duration(offset);
  if (offset < 0) s += " offset -" + Duration(-offset);
  return s;
}

std::string SelectorBody(const VectorSelector& vs) {
  std::vector<std::string> parts;
  for (const auto& m : vs.matchers) {
    if (m.name() == "__name__" && m.type() == MatchType::kEqual && m.value() == vs.name) continue;
    parts.push_back(m.String());
  }
  if (parts.empty()) return vs.name;
  std::sort(parts.begin(), parts.end());
  std::string s = vs.name + "{";
  for (size_t i = 0; i < parts.size(); i++) s += (i ? "," : "") + parts[i];
  return s + "}";
}

}  // namespace

std::string Expr::String() const {
  switch (kind) {
    case Kind::kNumber:
      return GoFormatFloat(static_cast<const NumberLiteral*>(this)->value);
    case Kind::kString:
      return GoQuote(static_cast<const StringLiteral*>(this)->value);
    case Kind::kVectorSelector: {
      const auto* vs = static_cast<const VectorSelector*>(this);
      return SelectorBody(*vs) + Modifiers(vs->at, vs->offset_ms);
    }
    case Kind::kMatrixSelector: {
      const auto* ms = static_cast<const MatrixSelector*>(this);
      return SelectorBody(ms->vs()) + "[" + Duration(ms->range_ms) + "]" +
             Modifiers(ms->vs().at, ms->vs().offset_ms);
    }
    case Kind::kSubquery: {
      const auto* sq = static_cast<const SubqueryExpr*>(this);
      return sq->expr->String() + "[" + Duration(sq->range_ms) + ":" +
             (sq->step_ms ? Duration(sq->step_ms) : "") + "]" + Modifiers(sq->at, sq->offset_ms);
    }
    case Kind::kParen:
      return "(" + static_cast<const ParenExpr*>(this)->expr->String() + ")";
    case Kind::kStepInvariant:
      return static_cast<const StepInvariantExpr*>(this)->expr->String();
    case Kind::kUnary: {
      const auto* u = static_cast<const UnaryExpr*>(this);
      return (u->negate ? "-" : "+") + u->expr->String();
    }
    case Kind::kBinary: {
      const auto* b = static_cast<const BinaryExpr*>(this);
      std::string s = b->lhs->String() + " " + BinOpString(b->op) + (b->return_bool ? " bool" : "");
      if (b->matching && (!b->matching->labels.empty() || b->matching->on)) {
        const auto& vm = *b->matching;
        s += std::string(vm.on ? " on" : " ignoring") + " (" + Join(vm.labels) + ")";
        if (vm.card == VectorMatching::Card::kManyToOne ||
            vm.card == VectorMatching::Card::kOneToMany) {
          s += std::string(vm.card == VectorMatching::Card::kManyToOne ? " group_left"
                                                                       : " group_right") +
               " (" + Join(vm.include) + ")";
        }
      }
      return s + " " + b->rhs->String();
    }
    case Kind::kCall: {
      const auto* c = static_cast<const Call*>(this);
      std::string s = std::string(c->func->name) + "(";
      for (size_t i = 0; i < c->args.size(); i++) s += (i ? ", " : "") + c->args[i]->String();
      return s + ")";
    }
    case Kind::kAggregate: {
      const auto* a = static_cast<const AggregateExpr*>(this);
      std::string s = AggOpString(a->op);
      if (a->without) {
        s += " without (" + Join(a->grouping) + ") ";
      } else if (!a->grouping.empty()) {
        s += " by (" + Join(a->grouping) + ") ";
      }
      s += "(";
      if (a->param) s += a->param->String() + ", ";
      return s + a->expr->String() + ")";
    }
  }
  return "";
}

void Walk(Expr& e, const std::function<void(Expr&)>& fn) {
  fn(e);
  switch (e.kind) {
    case Expr::Kind::kMatrixSelector:
      Walk(*static_cast<MatrixSelector&>(e).selector, fn);
      break;
    case Expr::Kind::kSubquery:
      Walk(*static_cast<SubqueryExpr&>(e).expr, fn);
      break;
    case Expr::Kind::kParen:
      Walk(*static_cast<ParenExpr&>(e).expr, fn);
      break;
    case Expr::Kind::kUnary:
      Walk(*static_cast<UnaryExpr&>(e).expr, fn);
      break;
    case Expr::Kind::kStepInvariant:
      Walk(*static_cast<StepInvariantExpr&>(e).expr, fn);
      break;
    case Expr::Kind::kBinary: {
      auto& b = static_cast<BinaryExpr&>(e);
      Walk(*b.lhs, fn);
      Walk(*b.rhs, fn);
      break;
    }
    case Expr::Kind::kCall:
      for (auto& a : static_cast<Call&>(e).args) Walk(*a, fn);
      break;
    case Expr::Kind::kAggregate: {
      auto& a = static_cast<AggregateExpr&>(e);
      if (a.param) Walk(*a.param, fn);
      Walk(*a.expr, fn);
      break;
    }
    case Expr::Kind::kVectorSelector:
    case Expr::Kind::kNumber:
    case Expr::Kind::kString:
      break;
  }
}

void ForEachTimeModifier(Expr& e,
                         const std::function<void(AtModifier& at, int64_t offset_ms)>& fn) {
  Walk(e, [&](Expr& n) {
    if (n.kind == Expr::Kind::kVectorSelector) {
      auto& vs = static_cast<VectorSelector&>(n);
      fn(vs.at, vs.offset_ms);
    } else if (n.kind == Expr::Kind::kSubquery) {
      auto& sq = static_cast<SubqueryExpr&>(n);
      fn(sq.at, sq.offset_ms);
    }
  });
}

}  // namespace strata::promql
