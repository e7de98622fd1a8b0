#pragma once
// tls_options: the TLS configuration of an endpoint and its JSON form. Apart from tls.hpp (the
// contexts, which need OpenSSL) so that configuration parsers include no TLS library.

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "rpc/failure.hpp"

namespace hearth {

/// What a TLS endpoint needs. The same shape everywhere (gate "tls", admin "tls", cluster
/// "tls"); empty `certificate_chain_file` means TLS is off.
struct tls_options {
    /// PEM file: this endpoint's certificate first, then any intermediates.
    std::string certificate_chain_file;
    /// PEM file: the private key of that certificate (optionally encrypted, see passphrase_env).
    std::string private_key_file;
    /// The name of an environment variable holding the key's passphrase (never the passphrase
    /// itself, which would then sit in a config file). Empty: the key is not encrypted.
    std::string passphrase_env;
    /// PEM file of the certificate authorities that sign the peers' certificates. On a server
    /// (gate, admin) it turns client certificates on: a client without one signed by these CAs
    /// is refused in the TLS handshake. On cluster links it is the cluster CA, required on both
    /// sides. Empty: no client certificates (gate, admin).
    std::string ca_file;
    /// The lowest protocol version accepted: "1.2" (default) or "1.3". TLS 1.0 and 1.1 are
    /// refused outright (RFC 8996 deprecates them).
    std::string min_version = "1.2";
    /// OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are OpenSSL's defaults). Empty: the
    /// default, forward-secret AEAD suites only (ECDHE with AES-GCM or ChaCha20-Poly1305).
    std::string ciphers;

    bool enabled() const noexcept { return !certificate_chain_file.empty(); }
    friend bool operator==(const tls_options&, const tls_options&) = default;

    /// Reads {"certificate_chain_file","private_key_file","passphrase_env",<ca_key>,
    /// "min_version","ciphers"}: every value a string; certificate_chain_file and
    /// private_key_file are required; unknown keys are an error. `ca_key` is "client_ca_file"
    /// for servers (gate, admin) and "ca_file" for cluster links. `where` names the block in
    /// messages ("gate option 'tls'"). Files are not opened here (tls_context does that).
    /// Returns the options or a failure (std::errc::invalid_argument, a sentence naming the key).
    static rpc::outcome<tls_options> from_json(const nlohmann::json& j, std::string_view where,
                                               std::string_view ca_key = "client_ca_file");
};

}  // namespace hearth
