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

#include "framework/tls_options.hpp"
#include "rpc/failure.hpp"

namespace boost::asio::ssl {
class context;
}
namespace boost::system {
class error_code;
}

namespace hearth {

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
