#include "cluster/hmac.hpp"

#include <algorithm>

namespace hearth::cluster {

hmac_sha256::hmac_sha256(std::string_view key) noexcept {
    std::array<std::uint8_t, detail::sha256::block_size> block{};
    if (key.size() > block.size()) {
        const auto hashed = detail::sha256::hash(key);
        std::copy(hashed.begin(), hashed.end(), block.begin());
    } else {
        std::copy(key.begin(), key.end(), block.begin());
    }
    std::array<std::uint8_t, detail::sha256::block_size> pad;
    for (std::size_t i = 0; i < pad.size(); ++i) pad[i] = block[i] ^ 0x36;
    inner_.update(pad.data(), pad.size());
    for (std::size_t i = 0; i < pad.size(); ++i) pad[i] = block[i] ^ 0x5c;
    outer_.update(pad.data(), pad.size());
}

digest hmac_sha256::finish() noexcept {
    const auto inner = inner_.finish();
    outer_.update(inner.data(), inner.size());
    return outer_.finish();
}

digest hmac(std::string_view key, std::string_view message) noexcept {
    hmac_sha256 h(key);
    h.update(message);
    return h.finish();
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    // Accumulate every difference instead of returning at the first one; volatile keeps the
    // compiler from turning the loop back into an early exit.
    volatile unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff = static_cast<unsigned char>(
            diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
    return diff == 0;
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
