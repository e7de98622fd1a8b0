#pragma once
// HMAC-SHA256 (RFC 2104) and a constant-time comparison: the primitives of the cluster
// handshake (docs/protocol.md, "Handshake").

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/detail/sha256.hpp"

namespace hearth::cluster {

using digest = detail::sha256_digest;  ///< 32 bytes

/// Incremental HMAC-SHA256 keyed at construction (keys longer than 64 bytes are hashed first,
/// as RFC 2104 requires). update() any number of times, then finish() once. Not thread-safe.
class hmac_sha256 {
  public:
    explicit hmac_sha256(std::string_view key) noexcept;

    void update(const void* data, std::size_t size) noexcept { inner_.update(data, size); }
    void update(std::string_view bytes) noexcept { inner_.update(bytes); }
    digest finish() noexcept;

  private:
    detail::sha256 inner_;
    detail::sha256 outer_;
};

/// One-shot HMAC-SHA256(key, message).
digest hmac(std::string_view key, std::string_view message) noexcept;

/// Compares two byte strings in time that depends only on their lengths (the lengths are not
/// secret here: proofs have a fixed size). Use it for every comparison of a received proof.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

/// The digest as a view of its 32 bytes.
inline std::string_view as_bytes(const digest& d) noexcept {
    return {reinterpret_cast<const char*>(d.data()), d.size()};
}

/// Lower-case hexadecimal, for tests and logs.
std::string to_hex(std::string_view bytes);

}  // namespace hearth::cluster
