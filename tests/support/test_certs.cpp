// Test certificates through OpenSSL's X509 API (test_certs.hpp).

#include "tests/support/test_certs.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace hearth::test {
namespace {

[[noreturn]] void fail(const std::string& what) {
    char buf[256] = {};
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    throw std::runtime_error("test certificates: " + what + ": " + buf);
}

struct key_deleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct x509_deleter {
    void operator()(X509* x) const { X509_free(x); }
};
struct bio_deleter {
    void operator()(BIO* b) const { BIO_free(b); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, key_deleter>;
using x509_ptr = std::unique_ptr<X509, x509_deleter>;
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;

key_ptr new_key() {
    key_ptr k(EVP_EC_gen("P-256"));
    if (!k) fail("EVP_EC_gen");
    return k;
}

std::string bio_text(BIO* b) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(b, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string certificate_pem(X509* x) {
    bio_ptr b(BIO_new(BIO_s_mem()));
    if (!b || PEM_write_bio_X509(b.get(), x) != 1) fail("PEM_write_bio_X509");
    return bio_text(b.get());
}

std::string key_pem(EVP_PKEY* k, const std::string& passphrase) {
    bio_ptr b(BIO_new(BIO_s_mem()));
    const EVP_CIPHER* cipher = passphrase.empty() ? nullptr : EVP_aes_256_cbc();
    auto* pass =
        passphrase.empty() ? nullptr : reinterpret_cast<unsigned char*>(const_cast<char*>(passphrase.data()));
    if (!b || PEM_write_bio_PrivateKey(b.get(), k, cipher, pass, static_cast<int>(passphrase.size()), nullptr,
                                       nullptr) != 1)
        fail("PEM_write_bio_PrivateKey");
    return bio_text(b.get());
}

void add_extension(X509* x, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) fail("extension " + value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
}

// A certificate for `key` named `cn`, valid in [from, until] relative to now, not yet signed.
x509_ptr new_certificate(EVP_PKEY* key, const std::string& cn, std::chrono::seconds from,
                         std::chrono::seconds until) {
    x509_ptr x(X509_new());
    if (!x) fail("X509_new");
    X509_set_version(x.get(), 2);  // v3
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) fail("RAND_bytes");
    serial[0] &= 0x7f;  // positive
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), static_cast<long>(from.count()));
    X509_gmtime_adj(X509_getm_notAfter(x.get()), static_cast<long>(until.count()));
    X509_set_pubkey(x.get(), key);
    X509_NAME* name = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("Hearth tests"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                               -1, -1, 0);
    return x;
}

}  // namespace

struct test_ca::impl {
    key_ptr key;
    x509_ptr cert;
    std::string pem;
};

test_ca::test_ca(const std::string& name) : impl_(std::make_shared<impl>()) {
    impl_->key = new_key();
    impl_->cert =
        new_certificate(impl_->key.get(), name, std::chrono::hours(-1), std::chrono::hours(24 * 3650));
    X509_set_issuer_name(impl_->cert.get(), X509_get_subject_name(impl_->cert.get()));
    add_extension(impl_->cert.get(), impl_->cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(impl_->cert.get(), impl_->cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(impl_->cert.get(), impl_->cert.get(), NID_subject_key_identifier, "hash");
    if (X509_sign(impl_->cert.get(), impl_->key.get(), EVP_sha256()) == 0) fail("X509_sign (CA)");
    impl_->pem = certificate_pem(impl_->cert.get());
}

test_ca::~test_ca() = default;
test_ca::test_ca(const test_ca&) = default;
test_ca& test_ca::operator=(const test_ca&) = default;

const std::string& test_ca::certificate() const noexcept {
    return impl_->pem;
}

pem_pair test_ca::issue(const leaf_spec& spec) const {
    key_ptr key = new_key();
    x509_ptr x = new_certificate(key.get(), spec.common_name, spec.valid_from, spec.valid_until);
    X509_set_issuer_name(x.get(), X509_get_subject_name(impl_->cert.get()));
    add_extension(x.get(), impl_->cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(x.get(), impl_->cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_extension(x.get(), impl_->cert.get(), NID_ext_key_usage, "serverAuth,clientAuth");
    add_extension(x.get(), impl_->cert.get(), NID_authority_key_identifier, "keyid");
    std::string san;
    for (const auto& d : spec.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
    for (const auto& ip : spec.ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
    if (!san.empty()) add_extension(x.get(), impl_->cert.get(), NID_subject_alt_name, san);
    if (X509_sign(x.get(), impl_->key.get(), EVP_sha256()) == 0) fail("X509_sign");
    return {certificate_pem(x.get()), key_pem(key.get(), spec.passphrase)};
}

void write_text_file(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

void write_test_pki(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    const auto write = [&](const std::string& stem, const pem_pair& p) {
        write_text_file(dir / (stem + ".pem"), p.certificate);
        write_text_file(dir / (stem + ".key"), p.private_key);
    };
    const test_ca ca("Hearth Test CA");
    const test_ca other("Hearth Other CA");
    write_text_file(dir / "ca.pem", ca.certificate());
    write_text_file(dir / "other_ca.pem", other.certificate());
    leaf_spec server = leaf_spec::named("localhost", {"localhost"});
    server.ip_addresses = {"127.0.0.1"};
    write("server", ca.issue(server));
    write("server2", ca.issue(server));
    write("client", ca.issue(leaf_spec::named("player client")));
    write("other_client", other.issue(leaf_spec::named("player client")));
    leaf_spec expired = server;
    expired.valid_from = std::chrono::hours(-48);
    expired.valid_until = std::chrono::hours(-24);
    write("expired", ca.issue(expired));
    leaf_spec encrypted = server;
    encrypted.passphrase = "hearth-test";
    write("encrypted", ca.issue(encrypted));
    for (const char* node : {"node-a", "node-b", "node-c"})
        write(node, ca.issue(leaf_spec::named(node, {node})));
    write("other-node-a", other.issue(leaf_spec::named("node-a", {"node-a"})));
}

temporary_pki::temporary_pki() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hearth-pki-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        throw std::runtime_error("test certificates: mkdtemp failed for " + pattern);
    dir_ = pattern;
    write_test_pki(dir_);
}

temporary_pki::~temporary_pki() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

}  // namespace hearth::test
