// The PromQL syntax tree. Nodes are immutable after parsing (the engine's preprocessing wraps
// step-invariant subtrees, it does not edit nodes in place). Positions are byte offsets into
// the query text, used in error messages.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/matcher.h"

namespace strata::promql {

enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };
// "scalar", "instant vector", "range vector", "string": the names Prometheus uses in errors.
const char* ValueTypeName(ValueType t);

struct PosRange {
  int start = 0;
  int end = 0;
};

enum class BinOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAtan2,
  kEql,
  kNeq,
  kGtr,
  kLss,
  kGte,
  kLte,
  kAnd,
  kOr,
  kUnless,
};
const char* BinOpString(BinOp op);
bool IsComparison(BinOp op);
bool IsSetOperator(BinOp op);

enum class AggOp {
  kSum,
  kAvg,
  kCount,
  kMin,
  kMax,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kCountValues,
  kQuantile
};
const char* AggOpString(AggOp op);

struct Function;  // functions.h

class Expr {
 public:
  enum class Kind {
    kNumber,
    kString,
    kVectorSelector,
    kMatrixSelector,
    kSubquery,
    kParen,
    kUnary,
    kBinary,
    kCall,
    kAggregate,
    kStepInvariant
  };
  explicit Expr(Kind k, PosRange p) : kind(k), pos(p) {}
  virtual ~Expr() = default;
  ValueType Type() const;
  // The expression in PromQL syntax, normalised the way Prometheus prints it.
  std::string String() const;

  const Kind kind;
  PosRange pos;
};
using ExprPtr = std::unique_ptr<Expr>;

// `@ <time>`, `@ start()`, `@ end()`; resolved to a timestamp before evaluation.
struct AtModifier {
  enum class Kind { kNone, kTimestamp, kStart, kEnd } kind = Kind::kNone;
  int64_t timestamp_ms = 0;  // for kTimestamp (and after resolving start()/end())
};

struct NumberLiteral : Expr {
  explicit NumberLiteral(double v, PosRange p) : Expr(Kind::kNumber, p), value(v) {}
  double value;
};

struct StringLiteral : Expr {
  explicit StringLiteral(std::string v, PosRange p) : Expr(Kind::kString, p), value(std::move(v)) {}
  std::string value;
};

struct VectorSelector : Expr {
  explicit VectorSelector(PosRange p) : Expr(Kind::kVectorSelector, p) {}
  std::string name;   // metric name when given bare (also present as a matcher)
  Matchers matchers;  // including __name__="name"
  int64_t offset_ms = 0;
  AtModifier at;
};

struct MatrixSelector : Expr {
  MatrixSelector(ExprPtr vs, int64_t range, PosRange p)
      : Expr(Kind::kMatrixSelector, p), selector(std::move(vs)), range_ms(range) {}
  const VectorSelector& vs() const { return static_cast<const VectorSelector&>(*selector); }
  ExprPtr selector;  // a VectorSelector (holds offset and @)
  int64_t range_ms;
};

struct SubqueryExpr : Expr {
  SubqueryExpr(ExprPtr e, PosRange p) : Expr(Kind::kSubquery, p), expr(std::move(e)) {}
  ExprPtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;  // 0: the engine's default evaluation interval
  int64_t offset_ms = 0;
  AtModifier at;
};

struct ParenExpr : Expr {
  ParenExpr(ExprPtr e, PosRange p) : Expr(Kind::kParen, p), expr(std::move(e)) {}
  ExprPtr expr;
};

struct UnaryExpr : Expr {
  UnaryExpr(bool neg, ExprPtr e, PosRange p)
      : Expr(Kind::kUnary, p), negate(neg), expr(std::move(e)) {}
  bool negate;  // '-' (else '+')
  ExprPtr expr;
};

struct VectorMatching {
  enum class Card { kOneToOne, kManyToOne, kOneToMany, kManyToMany } card = Card::kOneToOne;
  bool on = false;                   // on(...) given (else ignoring(...) or nothing)
  std::vector<std::string> labels;   // the on/ignoring list
  std::vector<std::string> include;  // group_left/group_right(...) labels
};

struct BinaryExpr : Expr {
  BinaryExpr(BinOp o, ExprPtr l, ExprPtr r, PosRange p)
      : Expr(Kind::kBinary, p), op(o), lhs(std::move(l)), rhs(std::move(r)) {}
  BinOp op;
  ExprPtr lhs, rhs;
  bool return_bool = false;
  std::optional<VectorMatching> matching;  // set when both sides are vectors
};

struct Call : Expr {
  Call(const Function* f, std::vector<ExprPtr> a, PosRange p)
      : Expr(Kind::kCall, p), func(f), args(std::move(a)) {}
  const Function* func;
  std::vector<ExprPtr> args;
};

struct AggregateExpr : Expr {
  AggregateExpr(AggOp o, PosRange p) : Expr(Kind::kAggregate, p), op(o) {}
  AggOp op;
  ExprPtr expr;
  ExprPtr param;  // topk/bottomk/quantile: scalar; count_values: string
  std::vector<std::string> grouping;
  bool without = false;
  bool by = false;  // `by` written explicitly (affects printing only)
};

// Added by the engine around subtrees whose value is the same at every step (because of @ or
// literals): evaluated once, then repeated for every step.
struct StepInvariantExpr : Expr {
  explicit StepInvariantExpr(ExprPtr e) : Expr(Kind::kStepInvariant, e->pos), expr(std::move(e)) {}
  ExprPtr expr;
};

// Skips parentheses and step-invariant wrappers.
const Expr* Unwrap(const Expr* e);

// Calls fn on e and every expression under it, parents first.
void Walk(Expr& e, const std::function<void(Expr&)>& fn);

// Calls fn with the @ modifier and offset of every vector selector and subquery in e (a matrix
// selector's are its vector selector's). fn may change the modifier (resolve start()/end()).
void ForEachTimeModifier(Expr& e, const std::function<void(AtModifier& at, int64_t offset_ms)>& fn);

}  // namespace strata::promql
