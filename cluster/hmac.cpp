#include "cluster/hmac.hpp"

#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace hearth::cluster {
namespace {

[[noreturn]] void fail(std::string_view what) {
    char reason[256] = "no reason given";
    if (const unsigned long code = ERR_get_error(); code != 0)
        ERR_error_string_n(code, reason, sizeof reason);
    ERR_clear_error();
    std::string text = "OpenSSL failed to ";
    text.append(what);
    text += " (";
    text += reason;
    text += ").";
    throw std::runtime_error(text);
}

}  // namespace

void hmac_sha256::context_free::operator()(evp_mac_ctx_st* ctx) const noexcept {
    EVP_MAC_CTX_free(ctx);
}

hmac_sha256::hmac_sha256(std::string_view key) {
    // The context keeps its own reference to the algorithm. Fetching per MAC costs a lookup in
    // the provider table; handshakes are rare enough that it does not matter.
    EVP_MAC* const algorithm = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (algorithm == nullptr) fail("find the HMAC algorithm");
    ctx_.reset(EVP_MAC_CTX_new(algorithm));
    EVP_MAC_free(algorithm);
    if (!ctx_) fail("allocate an HMAC context");
    char digest_name[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end(),
    };
    // An empty key is valid HMAC; EVP_MAC_init needs a non-null pointer for it.
    static const unsigned char no_key = 0;
    const auto* k = key.empty() ? &no_key : reinterpret_cast<const unsigned char*>(key.data());
    if (EVP_MAC_init(ctx_.get(), k, key.size(), params) != 1) fail("initialise HMAC-SHA256");
}

void hmac_sha256::update(const void* data, std::size_t size) {
    if (!ctx_) throw std::runtime_error("hmac_sha256::update() called after finish().");
    if (size == 0) return;
    if (EVP_MAC_update(ctx_.get(), static_cast<const unsigned char*>(data), size) != 1)
        fail("update HMAC-SHA256");
}

digest hmac_sha256::finish() {
    if (!ctx_) throw std::runtime_error("hmac_sha256::finish() called twice.");
    digest out{};
    std::size_t written = 0;
    const bool ok = EVP_MAC_final(ctx_.get(), out.data(), &written, out.size()) == 1;
    ctx_.reset();
    if (!ok || written != out.size()) fail("finish HMAC-SHA256");
    return out;
}

digest hmac(std::string_view key, std::string_view message) {
    hmac_sha256 h(key);
    h.update(message);
    return h.finish();
}

digest sha256(std::string_view bytes) {
    digest out{};
    unsigned int written = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &written, EVP_sha256(), nullptr) != 1 ||
        written != out.size())
        fail("compute SHA-256");
    return out;
}

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 0xf];
    }
    return out;
}

}  // namespace hearth::cluster
