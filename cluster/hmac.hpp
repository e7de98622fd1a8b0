#pragma once
// HMAC-SHA256 (RFC 2104) and SHA-256 (FIPS 180-4), computed by OpenSSL's libcrypto: the
// primitives of the cluster handshake (docs/protocol.md, "Handshake"). This header does not
// include OpenSSL; proofs are compared with hearth::constant_time_equal (CRYPTO_memcmp).

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "framework/constant_time.hpp"

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX, opaque here

namespace hearth::cluster {

inline constexpr std::size_t digest_size = 32;
using digest = std::array<std::uint8_t, digest_size>;  ///< a SHA-256 or HMAC-SHA256 output

/// Incremental HMAC-SHA256 keyed at construction (any key length; longer than 64 bytes is
/// hashed first, as RFC 2104 requires). update() any number of times, then finish() once.
/// Not thread-safe; movable, not copyable.
/// Every member throws std::runtime_error with a sentence if OpenSSL fails (out of memory,
/// no provider for HMAC or SHA-256); a half-computed MAC is never returned.
class hmac_sha256 {
  public:
    explicit hmac_sha256(std::string_view key);

    void update(const void* data, std::size_t size);
    void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
    /// The MAC of all update()s. Call once; then update() and finish() throw runtime_error.
    digest finish();

  private:
    struct context_free {
        void operator()(evp_mac_ctx_st* ctx) const noexcept;
    };
    std::unique_ptr<evp_mac_ctx_st, context_free> ctx_;
};

/// One-shot HMAC-SHA256(key, message). Throws std::runtime_error like hmac_sha256.
digest hmac(std::string_view key, std::string_view message);

/// One-shot SHA-256 of `bytes`. Throws std::runtime_error if OpenSSL fails.
digest sha256(std::string_view bytes);

/// Compares in time that does not depend on where the strings differ (framework/constant_time.hpp).
/// Use it for every comparison of a received proof.
using hearth::constant_time_equal;

/// The digest as a view of its 32 bytes.
inline std::string_view as_bytes(const digest& d) noexcept {
    return {reinterpret_cast<const char*>(d.data()), d.size()};
}

/// Lower-case hexadecimal, for tests and logs.
std::string to_hex(std::string_view bytes);

}  // namespace hearth::cluster
