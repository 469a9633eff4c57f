#include "base/labels.h"

#include <xxhash.h>

#include <algorithm>

#include "base/go_format.h"

namespace strata {

Labels::Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::vector<Label> v;
  v.reserve(pairs.size());
  for (const auto& [n, val] : pairs) v.push_back(Label{std::string(n), std::string(val)});
  *this = FromUnsorted(std::move(v));
}

Labels Labels::FromUnsorted(std::vector<Label> labels) {
  std::stable_sort(labels.begin(), labels.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
  // Keep the last of equal names.
  std::vector<Label> out;
  out.reserve(labels.size());
  for (auto& l : labels) {
    if (!out.empty() && out.back().name == l.name) {
      out.back() = std::move(l);
    } else {
      out.push_back(std::move(l));
    }
  }
  return FromSorted(std::move(out));
}

std::string_view Labels::Get(std::string_view name) const {
  for (const auto& l : v_) {
    if (l.name == name) return l.value;
  }
  return {};
}

bool Labels::Has(std::string_view name) const {
  return std::any_of(v_.begin(), v_.end(), [&](const Label& l) { return l.name == name; });
}

uint64_t Labels::Hash() const {
  // One contiguous buffer hashed in one call; separator 0xff cannot occur in valid UTF-8, so
  // ("a","bc") and ("ab","c") hash differently.
  thread_local std::string buf;
  buf.clear();
  for (const auto& l : v_) {
    buf += l.name;
    buf += '\xff';
    buf += l.value;
    buf += '\xff';
  }
  return XXH3_64bits(buf.data(), buf.size());
}

bool ShardInfo::Matches(const Labels& series) const {
  if (!enabled()) return true;
  std::vector<std::string_view> names(labels.begin(), labels.end());
  std::sort(names.begin(), names.end());
  thread_local std::string buf;
  buf.clear();
  for (const auto& l : series) {
    const bool listed = std::binary_search(names.begin(), names.end(), std::string_view(l.name));
    if (by ? !listed : (listed || l.name == kMetricName)) continue;
    buf += l.name;
    buf += '\xff';
    buf += l.value;
    buf += '\xff';
  }
  return XXH64(buf.data(), buf.size(), 0) % static_cast<uint64_t>(total) ==
         static_cast<uint64_t>(index);
}

std::string Labels::String() const {
  std::string s = "{";
  for (size_t i = 0; i < v_.size(); i++) {
    if (i > 0) s += ", ";
    s += v_[i].name;
    s += '=';
    s += GoQuote(v_[i].value);
  }
  s += '}';
  return s;
}

Labels Labels::With(std::string_view name, std::string_view value) const {
  if (value.empty()) return Without(name);
  std::vector<Label> v = v_;
  auto it = std::lower_bound(v.begin(), v.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != v.end() && it->name == name) {
    it->value = std::string(value);
  } else {
    v.insert(it, Label{std::string(name), std::string(value)});
  }
  return FromSorted(std::move(v));
}

Labels Labels::Without(std::string_view name) const {
  std::vector<Label> v;
  v.reserve(v_.size());
  for (const auto& l : v_) {
    if (l.name != name) v.push_back(l);
  }
  return FromSorted(std::move(v));
}

int CompareLabels(const Labels& a, const Labels& b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; i++) {
    if (int c = a[i].name.compare(b[i].name); c != 0) return c < 0 ? -1 : 1;
    if (int c = a[i].value.compare(b[i].value); c != 0) return c < 0 ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

namespace {
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsAlpha(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return IsAlpha(c) || IsDigit(c); });
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !(IsAlpha(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlpha(c) || IsDigit(c) || c == ':'; });
}

Status ValidateLabels(const Labels& labels) {
  for (size_t i = 0; i < labels.size(); i++) {
    const Label& l = labels[i];
    if (!IsValidLabelName(l.name)) {
      return Status::InvalidArgument("invalid label name " + GoQuote(l.name) + " in " +
                                     labels.String());
    }
    if (l.value.empty()) {
      return Status::InvalidArgument("empty value for label " + l.name + " in " + labels.String());
    }
    if (i > 0 && labels[i - 1].name >= l.name) {
      return Status::InvalidArgument("labels not sorted or duplicated: " + labels.String());
    }
  }
  return Status::OK();
}

}  // namespace strata
