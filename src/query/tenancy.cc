#include "query/tenancy.h"

#include <algorithm>

namespace strata::query {
Result<std::string> ResolveTenant(const TenancyOptions& t, const server::HttpRequest& req) {
  std::string tenant = req.Header(t.header);
  if (tenant.empty()) tenant = req.Header("THANOS-TENANT");
  if (tenant.empty()) tenant = t.default_tenant;
  if (!t.cert_field.empty()) {
    if (!req.client_cert.present)
      return Status::InvalidArgument("could not get required certificate field from client cert");
    const auto& c = req.client_cert;
    tenant = t.cert_field == "organization"         ? c.organization
             : t.cert_field == "organizationalUnit" ? c.organizational_unit
                                                    : c.common_name;
    if (tenant.empty())
      return Status::InvalidArgument("could not get " + t.cert_field + " field from client cert");
  }
  if (tenant.empty() || tenant == "." || tenant == ".." || tenant.find('/') != std::string::npos)
    return Status::InvalidArgument("Tenant name not valid");
  return tenant;
}

std::string MetricTenant(const TenancyOptions& t, const server::HttpRequest& req) {
  std::string tenant = req.Header(t.header);
  return tenant.empty() ? t.default_tenant : tenant;
}

void EnforceTenant(Matchers& m, const std::string& label, const std::string& tenant) {
  m.erase(std::remove_if(m.begin(), m.end(), [&](const Matcher& x) { return x.name() == label; }),
          m.end());
  m.push_back(*Matcher::Make(MatchType::kEqual, label, tenant));
}

void EnforceTenant(promql::Expr& e, const std::string& label, const std::string& tenant) {
  promql::Walk(e, [&](promql::Expr& n) {
    if (n.kind == promql::Expr::Kind::kVectorSelector)
      EnforceTenant(static_cast<promql::VectorSelector&>(n).matchers, label, tenant);
  });
}

}  // namespace strata::query
