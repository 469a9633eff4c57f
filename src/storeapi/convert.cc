#include "storeapi/convert.h"

namespace strata::storeapi {

Result<Matchers> FromProto(const google::protobuf::RepeatedPtrField<thanos::LabelMatcher>& ms) {
  Matchers out;
  for (const auto& m : ms) {
    MatchType t;
    switch (m.type()) {
      case thanos::LabelMatcher::EQ:
        t = MatchType::kEqual;
        break;
      case thanos::LabelMatcher::NEQ:
        t = MatchType::kNotEqual;
        break;
      case thanos::LabelMatcher::RE:
        t = MatchType::kRegexMatch;
        break;
      case thanos::LabelMatcher::NRE:
        t = MatchType::kRegexNoMatch;
        break;
      default:
        return Status::InvalidArgument("unknown label matcher type " + std::to_string(m.type()));
    }
    STRATA_ASSIGN_OR_RETURN(Matcher matcher, Matcher::Make(t, m.name(), m.value()));
    out.push_back(std::move(matcher));
  }
  return out;
}

void ToProto(const Matchers& ms, google::protobuf::RepeatedPtrField<thanos::LabelMatcher>* out) {
  for (const auto& m : ms) {
    auto* p = out->Add();
    switch (m.type()) {
      case MatchType::kEqual:
        p->set_type(thanos::LabelMatcher::EQ);
        break;
      case MatchType::kNotEqual:
        p->set_type(thanos::LabelMatcher::NEQ);
        break;
      case MatchType::kRegexMatch:
        p->set_type(thanos::LabelMatcher::RE);
        break;
      case MatchType::kRegexNoMatch:
        p->set_type(thanos::LabelMatcher::NRE);
        break;
    }
    p->set_name(m.name());
    p->set_value(m.value());
  }
}

Labels FromProto(const google::protobuf::RepeatedPtrField<thanos::Label>& ls) {
  std::vector<Label> v;
  v.reserve(static_cast<size_t>(ls.size()));
  for (const auto& l : ls) v.push_back({l.name(), l.value()});
  return Labels::FromUnsorted(std::move(v));
}

void ToProto(const Labels& ls, google::protobuf::RepeatedPtrField<thanos::Label>* out) {
  for (const auto& l : ls) {
    auto* p = out->Add();
    p->set_name(l.name);
    p->set_value(l.value);
  }
}

ShardInfo ShardFromProto(const thanos::ShardInfo& s) {
  return {s.shard_index(), s.total_shards(), s.by(),
          std::vector<std::string>(s.labels().begin(), s.labels().end())};
}

void ToProto(const ShardInfo& s, thanos::ShardInfo* out) {
  out->set_shard_index(s.index);
  out->set_total_shards(s.total);
  out->set_by(s.by);
  for (const auto& l : s.labels) out->add_labels(l);
}

}  // namespace strata::storeapi
