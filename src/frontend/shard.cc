#include "frontend/shard.h"

#include <algorithm>
#include <set>

#include "promql/functions.h"
#include "promql/json.h"

namespace strata::frontend {
namespace {

// Thanos's analysis scope: the labels every series combined so far agree on.
class Scope {
 public:
  void Add(std::vector<std::string> labels, bool by) {
    std::set<std::string> add(labels.begin(), labels.end());
    if (!set_) {
      labels_ = std::move(add);
      by_ = by;
      set_ = true;
      return;
    }
    std::set<std::string> out;
    if (by_ && by) {  // both group by: only labels both keep
      std::set_intersection(labels_.begin(), labels_.end(), add.begin(), add.end(),
                            std::inserter(out, out.end()));
    } else if (!by_ && !by) {  // both drop labels: what either drops
      std::set_union(labels_.begin(), labels_.end(), add.begin(), add.end(),
                     std::inserter(out, out.end()));
    } else {  // by minus without
      const auto& keep = by_ ? labels_ : add;
      const auto& drop = by_ ? add : labels_;
      std::set_difference(keep.begin(), keep.end(), drop.begin(), drop.end(),
                          std::inserter(out, out.end()));
      by_ = true;
    }
    labels_ = std::move(out);
  }
  std::optional<ShardInfo> Result() const {
    if (!set_ || labels_.empty()) return std::nullopt;
    ShardInfo s;
    s.by = by_;
    s.labels.assign(labels_.begin(), labels_.end());
    return s;
  }

 private:
  bool set_ = false;
  bool by_ = false;
  std::set<std::string> labels_;
};

// Walks expr; false when something in it cannot be sharded at all.
bool Walk(const promql::Expr& e, Scope* scope, std::vector<std::string>* dynamic) {
  using K = promql::Expr::Kind;
  switch (e.kind) {
    case K::kCall: {
      const auto& c = static_cast<const promql::Call&>(e);
      const std::string_view name = c.func->name;
      if (name == "absent" || name == "absent_over_time" || name == "scalar") return false;
      if ((name == "label_join" || name == "label_replace") && c.args.size() > 1 &&
          c.args[1]->kind == K::kString) {
        dynamic->push_back(static_cast<const promql::StringLiteral&>(*c.args[1]).value);
      }
      if (name == "histogram_quantile") scope->Add({"le"}, false);
      for (const auto& a : c.args) {
        if (!Walk(*a, scope, dynamic)) return false;
      }
      return true;
    }
    case K::kBinary: {
      const auto& b = static_cast<const promql::BinaryExpr&>(e);
      if (b.matching) {
        std::vector<std::string> labels = b.matching->labels;
        if (!b.matching->on) labels.push_back(std::string(kMetricName));
        scope->Add(std::move(labels), b.matching->on);
      }
      return Walk(*b.lhs, scope, dynamic) && Walk(*b.rhs, scope, dynamic);
    }
    case K::kAggregate: {
      const auto& a = static_cast<const promql::AggregateExpr&>(e);
      scope->Add(a.grouping, !a.without);
      return (!a.param || Walk(*a.param, scope, dynamic)) && Walk(*a.expr, scope, dynamic);
    }
    case K::kParen:
      return Walk(*static_cast<const promql::ParenExpr&>(e).expr, scope, dynamic);
    case K::kUnary:
      return Walk(*static_cast<const promql::UnaryExpr&>(e).expr, scope, dynamic);
    case K::kSubquery:
      return Walk(*static_cast<const promql::SubqueryExpr&>(e).expr, scope, dynamic);
    case K::kStepInvariant:
      return Walk(*static_cast<const promql::StepInvariantExpr&>(e).expr, scope, dynamic);
    case K::kMatrixSelector:
    case K::kVectorSelector:
    case K::kNumber:
    case K::kString:
      return true;
  }
  return true;
}

}  // namespace

std::optional<ShardInfo> AnalyzeShardable(const promql::Expr& expr) {
  Scope scope;
  std::vector<std::string> dynamic;
  if (!Walk(expr, &scope, &dynamic)) return std::nullopt;
  if (!dynamic.empty()) scope.Add(std::move(dynamic), false);
  return scope.Result();
}

std::string ShardInfoJson(const ShardInfo& s) {
  std::string out = "{";
  auto field = [&](const char* name) {
    if (out.size() > 1) out += ",";
    out += "\"";
    out += name;
    out += "\":";
  };
  if (s.index != 0) {
    field("shard_index");
    out += std::to_string(s.index);
  }
  if (s.total != 0) {
    field("total_shards");
    out += std::to_string(s.total);
  }
  if (s.by) {
    field("by");
    out += "true";
  }
  if (!s.labels.empty()) {
    field("labels");
    out += "[";
    for (size_t i = 0; i < s.labels.size(); i++) {
      if (i > 0) out += ",";
      promql::AppendJsonString(&out, s.labels[i]);
    }
    out += "]";
  }
  return out + "}";
}

}  // namespace strata::frontend
