#pragma once
// The test PKI (tests/support/test_certs.hpp) in a folder of its own, removed with the object:
// what a gate's TLS ports and the TLS test clients are configured from. Link hearth_test_support.

#include <string>

#include "framework/tls.hpp"
#include "tests/session/test_client.hpp"
#include "tests/support/test_certs.hpp"

namespace hearth::testing {

class tls_pki : public hearth::test::temporary_pki {
  public:
    /// The gate's side: server.pem / server.key (localhost, 127.0.0.1); no client certificates.
    hearth::tls_options server() const {
        hearth::tls_options o;
        o.certificate_chain_file = file("server.pem");
        o.private_key_file = file("server.key");
        return o;
    }
    /// A client that trusts the test CA and presents no certificate.
    tls_client_options client() const {
        tls_client_options o;
        o.ca_file = file("ca.pem");
        return o;
    }
    /// A client that presents `stem`.pem / `stem`.key ("client", "other_client").
    tls_client_options client_with(const std::string& stem) const {
        auto o = client();
        o.certificate_file = file(stem + ".pem");
        o.private_key_file = file(stem + ".key");
        return o;
    }
};

}  // namespace hearth::testing
