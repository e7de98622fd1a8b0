#include "framework/tls.hpp"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <nlohmann/json.hpp>

namespace hearth {

namespace {

// Mozilla's "intermediate" TLS 1.2 list: forward secrecy and AEAD only.
constexpr const char* default_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// OpenSSL's reason for the last failure, with the error queue cleared (it is per thread and
// would otherwise leak into the next, unrelated call).
std::string openssl_reason() {
    std::string reason;
    while (const unsigned long code = ERR_get_error()) {
        char text[256];
        ERR_error_string_n(code, text, sizeof text);
        if (!reason.empty()) reason += "; ";
        reason += text;
    }
    return reason.empty() ? "no reason given by OpenSSL" : reason;
}

[[noreturn]] void fail(const std::string& sentence) {
    ERR_clear_error();
    throw std::runtime_error(sentence);
}

// A clear "cannot read" before OpenSSL's generic PEM errors.
void require_readable(const std::string& path, const char* what) {
    if (path.empty()) fail(std::string("TLS: no ") + what + " file is configured.");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(std::string("TLS: cannot read the ") + what + " file '" + path + "': " + std::strerror(errno) +
             ".");
}

std::string asn1_time_text(const ASN1_TIME* t) {
    std::string out;
    BIO* bio = BIO_new(BIO_s_mem());
    if (!bio) return out;
    if (ASN1_TIME_print(bio, t) == 1) {
        char* data = nullptr;
        const long n = BIO_get_mem_data(bio, &data);
        if (n > 0) out.assign(data, static_cast<std::size_t>(n));
    }
    BIO_free(bio);
    return out;
}

std::string subject_text(X509* cert) {
    std::string out;
    BIO* bio = BIO_new(BIO_s_mem());
    if (!bio) return out;
    if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
        char* data = nullptr;
        const long n = BIO_get_mem_data(bio, &data);
        if (n > 0) out.assign(data, static_cast<std::size_t>(n));
    }
    BIO_free(bio);
    return out;
}

// The key's passphrase, handed to OpenSSL's callback (pem_password_cb) through its user data.
int passphrase_callback(char* buf, int size, int /*rwflag*/, void* user) {
    const auto* pass = static_cast<const std::string*>(user);
    if (!pass || size <= 0) return 0;
    const int n = static_cast<int>(std::min<std::size_t>(pass->size(), static_cast<std::size_t>(size)));
    std::memcpy(buf, pass->data(), static_cast<std::size_t>(n));
    return n;
}

rpc::failure invalid(std::string sentence) {
    return rpc::failure{std::make_error_code(std::errc::invalid_argument), std::move(sentence)};
}

}  // namespace

struct tls_context::impl {
    impl(role r)
        : ctx(r == role::server ? boost::asio::ssl::context::tls_server
                                : boost::asio::ssl::context::tls_client),
          side(r) {}
    boost::asio::ssl::context ctx;
    role side;
    std::string fingerprint;
    std::string not_after;
    std::string subject;
};

tls_context::tls_context(const tls_options& o, role r) : impl_(std::make_unique<impl>(r)) {
    ERR_clear_error();
    SSL_CTX* ctx = impl_->ctx.native_handle();
    if (!ctx) fail("TLS: OpenSSL could not create a context: " + openssl_reason() + ".");

    // Versions: TLS 1.0/1.1 never (RFC 8996), SSL never; no renegotiation (a CPU-exhaustion
    // vector, and TLS 1.3 has none); no compression (CRIME).
    if (o.min_version != "1.2" && o.min_version != "1.3")
        fail("TLS: min_version '" + o.min_version + "' is not supported; use \"1.2\" or \"1.3\".");
    SSL_CTX_set_min_proto_version(ctx, o.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_options(ctx,
                        SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // SSL_MODE_RELEASE_BUFFERS is left off: with Asio's SSL stream it saved about 2 KB of an
    // idle session's 78 KB (Asio's own record buffers and the BIO pair dominate) and cost a
    // 16 KB malloc and free per record, 17% of TLS echo throughput (hearth_bench_clients).
    // TLS 1.3 suites: AES-128-GCM first (Mozilla's "intermediate" order): as safe as AES-256
    // for this use and cheaper per record, which is what small game messages are made of.
    if (SSL_CTX_set_ciphersuites(
            ctx, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384") != 1)
        fail("TLS: OpenSSL refused the TLS 1.3 cipher suites: " + openssl_reason() + ".");
    const std::string ciphers = o.ciphers.empty() ? default_ciphers : o.ciphers;
    if (SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1)
        fail("TLS: the cipher list '" + ciphers + "' has no cipher OpenSSL can use: " + openssl_reason() +
             ".");

    // Certificate chain and key.
    require_readable(o.certificate_chain_file, "certificate chain");
    if (SSL_CTX_use_certificate_chain_file(ctx, o.certificate_chain_file.c_str()) != 1)
        fail("TLS: the certificate chain file '" + o.certificate_chain_file +
             "' holds no usable PEM certificate: " + openssl_reason() + ".");
    X509* cert = SSL_CTX_get0_certificate(ctx);
    if (!cert)
        fail("TLS: the certificate chain file '" + o.certificate_chain_file + "' holds no certificate.");
    if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0)
        fail("TLS: the certificate in '" + o.certificate_chain_file + "' expired on " +
             asn1_time_text(X509_get0_notAfter(cert)) + ".");
    if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0)
        fail("TLS: the certificate in '" + o.certificate_chain_file + "' is not valid before " +
             asn1_time_text(X509_get0_notBefore(cert)) + ".");

    require_readable(o.private_key_file, "private key");
    std::string passphrase;
    if (!o.passphrase_env.empty()) {
        const char* value = std::getenv(o.passphrase_env.c_str());
        if (!value)
            fail("TLS: the passphrase of '" + o.private_key_file +
                 "' is to come from the environment variable '" + o.passphrase_env + "', which is not set.");
        passphrase = value;
    }
    // Always install the callback: without it OpenSSL would prompt on the terminal for an
    // encrypted key. An empty passphrase then fails cleanly.
    SSL_CTX_set_default_passwd_cb(ctx, passphrase_callback);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, &passphrase);
    const int key_loaded = SSL_CTX_use_PrivateKey_file(ctx, o.private_key_file.c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
    SSL_CTX_set_default_passwd_cb(ctx, nullptr);
    OPENSSL_cleanse(passphrase.data(), passphrase.size());
    // OpenSSL checks the key against the certificate while loading it: say so in our words.
    if (key_loaded != 1 && ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
        fail("TLS: the private key '" + o.private_key_file + "' does not match the certificate in '" +
             o.certificate_chain_file + "': " + openssl_reason() + ".");
    if (key_loaded != 1)
        fail("TLS: cannot load the private key '" + o.private_key_file + "'" +
             (o.passphrase_env.empty() ? std::string(" (if it is encrypted, set passphrase_env)")
                                       : " (wrong passphrase in $" + o.passphrase_env + "?)") +
             ": " + openssl_reason() + ".");
    if (SSL_CTX_check_private_key(ctx) != 1)
        fail("TLS: the private key '" + o.private_key_file + "' does not match the certificate in '" +
             o.certificate_chain_file + "': " + openssl_reason() + ".");

    // Peers' certificates.
    if (!o.ca_file.empty()) {
        require_readable(o.ca_file, "CA");
        if (SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr) != 1)
            fail("TLS: the CA file '" + o.ca_file + "' holds no usable PEM certificate: " + openssl_reason() +
                 ".");
        if (r == role::server) {
            STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.ca_file.c_str());
            if (names) SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
        } else {
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
        }
    } else if (r == role::client) {
        fail("TLS: a TLS client needs a CA file to verify the server's certificate.");
    }
    if (r == role::server) {
        // Session resumption (RFC 5077 tickets and the server cache) makes a returning
        // client's handshake an abbreviated one; the id context is required with client
        // certificates (OpenSSL refuses resumption without it).
        static constexpr unsigned char id_context[] = "hearth";
        SSL_CTX_set_session_id_context(ctx, id_context, sizeof id_context - 1);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    }

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_size = 0;
    if (X509_digest(cert, EVP_sha256(), md, &md_size) == 1) {
        static constexpr char hex[] = "0123456789ABCDEF";
        for (unsigned i = 0; i < md_size; ++i) {
            if (i) impl_->fingerprint += ':';
            impl_->fingerprint += hex[md[i] >> 4];
            impl_->fingerprint += hex[md[i] & 15];
        }
    }
    impl_->not_after = asn1_time_text(X509_get0_notAfter(cert));
    impl_->subject = subject_text(cert);
    ERR_clear_error();
}

tls_context::~tls_context() = default;

boost::asio::ssl::context& tls_context::native() const noexcept {
    return impl_->ctx;
}
tls_context::role tls_context::side() const noexcept {
    return impl_->side;
}
const std::string& tls_context::fingerprint_sha256() const noexcept {
    return impl_->fingerprint;
}
const std::string& tls_context::not_after() const noexcept {
    return impl_->not_after;
}
const std::string& tls_context::subject() const noexcept {
    return impl_->subject;
}

void tls_endpoint::load(const tls_options& o, tls_context::role r) {
    auto fresh = std::make_shared<const tls_context>(o, r);
    std::lock_guard lock(mutex_);
    current_ = std::move(fresh);
}

rpc::outcome<std::string> tls_endpoint::reload(const tls_options& o, tls_context::role r) {
    std::shared_ptr<const tls_context> fresh;
    try {
        fresh = std::make_shared<const tls_context>(o, r);
    } catch (const std::exception& e) {
        return invalid(e.what());
    }
    std::string fingerprint = fresh->fingerprint_sha256();
    std::lock_guard lock(mutex_);
    current_ = std::move(fresh);
    return fingerprint;
}

std::shared_ptr<const tls_context> tls_endpoint::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

bool tls_peer_certificate_names(void* native_ssl, std::string_view name) {
    auto* ssl = static_cast<SSL*>(native_ssl);
    if (!ssl || name.empty()) return false;
    if (SSL_get_verify_result(ssl) != X509_V_OK) return false;
    X509* peer = SSL_get1_peer_certificate(ssl);
    if (!peer) return false;
    const int match =
        X509_check_host(peer, name.data(), name.size(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, nullptr);
    X509_free(peer);
    return match == 1;
}

std::string_view tls_error_reason(const boost::system::error_code& ec) {
    if (ec == boost::asio::error::eof || ec == boost::asio::ssl::error::stream_truncated ||
        ec == boost::asio::error::connection_reset)
        return "eof";
    if (ec == boost::asio::error::timed_out || ec == boost::asio::error::operation_aborted) return "timeout";
    if (ec.category() != boost::asio::error::get_ssl_category()) return "other";
    switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
        case SSL_R_UNSUPPORTED_PROTOCOL:
        case SSL_R_NO_PROTOCOLS_AVAILABLE:
        case SSL_R_WRONG_SSL_VERSION:
        case SSL_R_VERSION_TOO_LOW:
        case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
            return "protocol_version";
        case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
        case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
            return "no_certificate";
        case SSL_R_CERTIFICATE_VERIFY_FAILED:
        case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
        case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
        case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
        case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
        case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
        case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
            return "bad_certificate";
        case SSL_R_HTTP_REQUEST:
        case SSL_R_HTTPS_PROXY_REQUEST:
        case SSL_R_WRONG_VERSION_NUMBER:
        case SSL_R_PACKET_LENGTH_TOO_LONG:
        case SSL_R_RECORD_LENGTH_MISMATCH:
        case SSL_R_UNEXPECTED_MESSAGE:
        case SSL_R_UNEXPECTED_RECORD:
            return "not_tls";
        case SSL_R_NO_SHARED_CIPHER:
        case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
            return "no_shared_cipher";
        default:
            return "other";
    }
}

}  // namespace hearth
