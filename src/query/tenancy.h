// The querier's tenancy (--query.tenant-header, --query.default-tenant-id,
// --query.tenant-certificate-field, --query.enforce-tenancy, --query.tenant-label-name), as
// Thanos v0.34: each API request belongs to a tenant; with enforcement, every selector of its
// queries is narrowed to that tenant's series.
#pragma once

#include <string>

#include "base/matcher.h"
#include "base/status.h"
#include "promql/ast.h"
#include "server/http_server.h"

namespace strata::query {

struct TenancyOptions {
  std::string header = "THANOS-TENANT";
  std::string default_tenant = "default-tenant";
  // "", organization, organizationalUnit or commonName: the tenant comes from the client's TLS
  // certificate and the header is not read.
  std::string cert_field;
  bool enforce = false;
  std::string label = "tenant_id";
};

// The request's tenant: the configured header, else THANOS-TENANT, else the default; or the
// client certificate's field. A tenant that is not a plain name (empty, ".", "..", or with a
// "/") is an InvalidArgument error, as are a missing certificate or field.
Result<std::string> ResolveTenant(const TenancyOptions& t, const server::HttpRequest& req);
// The tenant label of Thanos's HTTP metrics: the configured header or the default.
std::string MetricTenant(const TenancyOptions& t, const server::HttpRequest& req);

// With enforcement: `label="tenant"` on every selector, replacing any matcher on that label
// (prom-label-proxy's enforcer, as Thanos uses it).
void EnforceTenant(promql::Expr& e, const std::string& label, const std::string& tenant);
void EnforceTenant(Matchers& m, const std::string& label, const std::string& tenant);

}  // namespace strata::query
