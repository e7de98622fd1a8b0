#pragma once
// Certificates for tests, made at test time with OpenSSL (nothing private is committed): a
// certificate authority that issues server, client and cluster-node certificates, including
// the broken ones the error paths need (expired, not yet valid, encrypted key, another CA).
// Keys are ECDSA P-256, signatures SHA-256, certificates X.509 v3.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace hearth::test {

/// A certificate and its private key, both PEM.
struct pem_pair {
    std::string certificate;
    std::string private_key;
};

/// What a certificate issued by test_ca says.
struct leaf_spec {
    std::string common_name;
    std::vector<std::string> dns_names;     ///< subjectAltName DNS entries
    std::vector<std::string> ip_addresses;  ///< subjectAltName IP entries ("127.0.0.1")
    /// Validity relative to now; negative values lie in the past.
    std::chrono::seconds valid_from = std::chrono::hours(-1);
    std::chrono::seconds valid_until = std::chrono::hours(24 * 365);
    /// Non-empty: the private key PEM is encrypted (AES-256-CBC) with this passphrase.
    std::string passphrase;

    /// A certificate for `cn` whose subjectAltName lists `dns` (none: the common name only).
    static leaf_spec named(std::string cn, std::vector<std::string> dns = {}) {
        leaf_spec s;
        s.common_name = std::move(cn);
        s.dns_names = std::move(dns);
        return s;
    }
};

/// A self-signed certificate authority. Not thread-safe; cheap to copy (shares the key).
class test_ca {
  public:
    /// A new CA key and certificate whose subject common name is `name`.
    explicit test_ca(const std::string& name);
    ~test_ca();
    test_ca(const test_ca&);
    test_ca& operator=(const test_ca&);

    /// The CA certificate, PEM.
    const std::string& certificate() const noexcept;
    /// A certificate for a new key, signed by this CA, usable for TLS server and client auth.
    pem_pair issue(const leaf_spec& spec) const;

  private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

/// Writes `text` to `path` (truncating), throwing std::runtime_error on failure.
void write_text_file(const std::filesystem::path& path, const std::string& text);

/// Writes the test PKI the Node.js and Chromium tests use into `dir` (created if missing):
///   ca.pem                              the test CA ("Hearth Test CA")
///   server.pem, server.key              CN localhost, SAN DNS:localhost IP:127.0.0.1
///   server2.pem, server2.key            the same names, another key (certificate reload)
///   client.pem, client.key              a client certificate from the test CA
///   other_ca.pem                        a second, unrelated CA
///   other_client.pem, other_client.key  a client certificate from the other CA
///   expired.pem, expired.key            a server certificate that expired yesterday
///   encrypted.pem, encrypted.key        a server certificate whose key is encrypted with
///                                       the passphrase "hearth-test"
///   node-a.pem/.key … node-c.pem/.key   cluster node certificates (CN and DNS = node name)
///   other-node-a.pem/.key               node-a's name from the other CA
void write_test_pki(const std::filesystem::path& dir);

/// write_test_pki's set in a new folder of its own under the system's temporary directory,
/// removed (with anything the test added) when the object goes. Throws std::runtime_error when
/// the folder cannot be made.
class temporary_pki {
  public:
    temporary_pki();
    ~temporary_pki();
    temporary_pki(const temporary_pki&) = delete;
    temporary_pki& operator=(const temporary_pki&) = delete;

    const std::filesystem::path& dir() const noexcept { return dir_; }
    /// The path of a file in the folder ("server.pem", "client.key", ...).
    std::string file(const std::string& name) const { return (dir_ / name).string(); }

  private:
    std::filesystem::path dir_;
};

}  // namespace hearth::test
