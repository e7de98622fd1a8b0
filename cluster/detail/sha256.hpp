#pragma once
// SHA-256 (FIPS 180-4), private to the cluster module: the handshake's HMAC needs it and none of
// the allowed dependencies provides it. Not a general-purpose crypto library.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hearth::cluster::detail {

using sha256_digest = std::array<std::uint8_t, 32>;

/// Incremental SHA-256. update() any number of times, then finish() once; after finish() the
/// object must be reset() before reuse. Not thread-safe; cheap to copy (that is how HMAC
/// keeps its precomputed pads).
class sha256 {
  public:
    static constexpr std::size_t block_size = 64;
    static constexpr std::size_t digest_size = 32;

    sha256() noexcept { reset(); }

    void reset() noexcept;
    void update(const void* data, std::size_t size) noexcept;
    void update(std::string_view bytes) noexcept { update(bytes.data(), bytes.size()); }
    sha256_digest finish() noexcept;

    /// One-shot hash.
    static sha256_digest hash(std::string_view bytes) noexcept {
        sha256 h;
        h.update(bytes);
        return h.finish();
    }

  private:
    void compress(const std::uint8_t* block) noexcept;

    std::array<std::uint32_t, 8> state_{};
    std::array<std::uint8_t, block_size> buffer_{};
    std::size_t buffered_ = 0;
    std::uint64_t total_bytes_ = 0;
};

}  // namespace hearth::cluster::detail
