// Why a TLS server's certificate is not trusted, in X.509's words ("certificate has expired",
// "unable to get local issuer certificate", ...). gRPC reports only "certificate verify failed";
// the querier asks this once per failed endpoint check to put the reason in its error.
#pragma once

#include <string>

namespace strata::tls {

// Connects to host:port (within timeout_ms), starts a TLS handshake trusting ca_file (the
// system's roots when ""), and returns the verification error of the server's chain, with the
// certificate it concerns and its depth in the chain; "" when the chain verifies or the check
// itself could not be made.
std::string WhyServerCertificateFails(const std::string& host_port, const std::string& ca_file,
                                      int timeout_ms);

}  // namespace strata::tls
