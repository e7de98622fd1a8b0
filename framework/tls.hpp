#pragma once
// TLS configuration and contexts, shared by every TLS endpoint of Hearth: the gate's TLS and wss
// ports, the admin endpoint's HTTPS, and mutually authenticated cluster links. OpenSSL does the
// work (through Asio's ssl::context); this header includes neither OpenSSL nor Asio's SSL
// headers, so only the .cpp files that open TLS streams pay for them.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "rpc/failure.hpp"

namespace boost::asio::ssl {
class context;
}
namespace boost::system {
class error_code;
}

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

/// A loaded TLS context: certificate, key, verification and protocol settings, ready to open
/// streams (`native()` is what asio::ssl::stream takes). Immutable once built: a certificate
/// reload builds a new one and swaps the shared_ptr, so open streams keep theirs (OpenSSL
/// reference-counts the SSL_CTX under each stream). Any thread may open streams from it.
class tls_context {
  public:
    /// Which side of the handshake the context serves. `server`: gate and admin ports, and a
    /// cluster agent; `client`: a cluster sender (presents its certificate too).
    enum class role { server, client };

    /// Loads and checks everything now, so that a bad file is a start (or reload) error instead
    /// of a failure on the first client. Throws std::runtime_error with a sentence naming the
    /// file and the problem: missing or unreadable file, not PEM, no certificate, expired or not
    /// yet valid certificate, key that does not match, wrong or missing passphrase (and the
    /// environment variable named), unusable CA file, unknown min_version, cipher list with no
    /// usable cipher. `o.enabled()` must be true.
    tls_context(const tls_options& o, role r);
    ~tls_context();
    tls_context(const tls_context&) = delete;
    tls_context& operator=(const tls_context&) = delete;

    boost::asio::ssl::context& native() const noexcept;
    role side() const noexcept;
    /// SHA-256 of this endpoint's certificate (DER), upper-case hex bytes joined by ':' (the
    /// form `openssl x509 -fingerprint -sha256` prints).
    const std::string& fingerprint_sha256() const noexcept;
    /// The certificate's validity end, as OpenSSL prints it ("Dec  1 12:00:00 2027 GMT").
    const std::string& not_after() const noexcept;
    /// The certificate's subject (one line, RFC 2253).
    const std::string& subject() const noexcept;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// The context a TLS endpoint (a gate's TLS ports, the admin's HTTPS) serves now: loaded at
/// the start, replaced whole by every successful reload, read once per accepted connection.
/// Open connections keep the context they were accepted with. Thread-safe.
class tls_endpoint {
  public:
    tls_endpoint() = default;
    tls_endpoint(const tls_endpoint&) = delete;
    tls_endpoint& operator=(const tls_endpoint&) = delete;

    /// Loads `o` as the first context. Throws std::runtime_error (tls_context's sentence).
    void load(const tls_options& o, tls_context::role r);
    /// Loads `o` again; on success it becomes current and its fingerprint is returned. On
    /// failure (std::errc::invalid_argument, tls_context's sentence naming the file) the
    /// current context stays. Reads the files on the caller's thread.
    rpc::outcome<std::string> reload(const tls_options& o, tls_context::role r);
    /// The context now; null before load().
    std::shared_ptr<const tls_context> current() const;

  private:
    mutable std::mutex mutex_;
    std::shared_ptr<const tls_context> current_;  // guarded by mutex_
};

/// True when the peer certificate of the TLS stream whose OpenSSL handle is `native_ssl` (an
/// SSL*, from ssl::stream::native_handle()) was verified and names `name`: a DNS entry of its
/// subjectAltName, or its common name when it has no DNS entry (X509_check_host, no partial
/// wildcards). False without a peer certificate. The cluster uses it to tie a link's
/// certificate to the node name claimed in the handshake.
bool tls_peer_certificate_names(void* native_ssl, std::string_view name);

/// A short, stable label for why a TLS handshake (or read) failed, for metrics labels and
/// rate-limited logs: "protocol_version" (TLS 1.0/1.1 or no shared version), "no_certificate"
/// (a required client certificate missing), "bad_certificate" (not signed by the CA, expired,
/// rejected by the peer), "not_tls" (plain HTTP or garbage instead of a ClientHello),
/// "no_shared_cipher", "eof" (the peer closed during the handshake), "timeout", or "other".
std::string_view tls_error_reason(const boost::system::error_code& ec);

}  // namespace hearth
