#pragma once
// The test PKI (tests/support/test_certs.hpp) in a folder of its own, removed with the object:
// what a gate's TLS ports and the TLS test clients are configured from. Link hearth_test_support.

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include "framework/tls.hpp"
#include "tests/session/test_client.hpp"
#include "tests/support/test_certs.hpp"

namespace hearth::testing {

class tls_pki {
  public:
    tls_pki() {
        std::string pattern = (std::filesystem::temp_directory_path() / "hearth-tls-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("tls_pki: mkdtemp failed for " + pattern);
        dir_ = pattern;
        hearth::test::write_test_pki(dir_);
    }
    ~tls_pki() {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    tls_pki(const tls_pki&) = delete;
    tls_pki& operator=(const tls_pki&) = delete;

    const std::filesystem::path& dir() const noexcept { return dir_; }
    /// A file of write_test_pki's set ("server.pem", "client.key", ...).
    std::string file(const std::string& name) const { return (dir_ / name).string(); }

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

  private:
    std::filesystem::path dir_;
};

}  // namespace hearth::testing
