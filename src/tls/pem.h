// Checks of the PEM files the TLS flags and web configs name, done once at startup so a wrong
// path, a key that does not belong to its certificate or a file that is not PEM fails with the
// file's name and OpenSSL's reason instead of a handshake error on the first connection.
#pragma once

#include <string>

#include "base/status.h"

namespace strata::tls {

// cert_file holds one or more certificates (a chain), key_file the private key of the first.
Status CheckKeyPair(const std::string& cert_file, const std::string& key_file);
// ca_file holds at least one certificate.
Status CheckCaFile(const std::string& ca_file);

// The last OpenSSL errors of this thread as one line ("" if none), clearing them.
std::string OpenSslErrors();

}  // namespace strata::tls
