#pragma once
// Unsigned LEB128 varints, the message-id encoding of client-protocol.md section 3: 7 bits a
// byte, low group first, high bit set on every byte but the last. 1 -> 01, 127 -> 7f,
// 128 -> 80 01, 300 -> ac 02.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "session/error.hpp"

namespace hearth::session {

/// The longest varint of a 64-bit value.
inline constexpr std::size_t max_varint_size = 10;

/// Bytes needed to encode v (1..10).
constexpr std::size_t varint_size(std::uint64_t v) noexcept {
    std::size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}

/// Appends the varint of v.
inline void append_varint(std::string& out, std::uint64_t v) {
    char buf[max_varint_size];
    std::size_t n = 0;
    while (v >= 0x80) {
        buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    out.append(buf, n);
}

/// Reads a varint from the front of `in` and removes it. Returns bad_varint (and leaves `in`
/// and `out` unchanged) when the input ends inside the varint, when it is longer than 10 bytes,
/// or when its value does not fit in 64 bits. Non-minimal encodings (80 00 for 0) are accepted,
/// as other LEB128 decoders do; no client is known to send them.
[[nodiscard]] inline std::error_code read_varint(std::string_view& in, std::uint64_t& out) noexcept {
    std::uint64_t value = 0;
    const std::size_t limit = in.size() < max_varint_size ? in.size() : max_varint_size;
    for (std::size_t i = 0; i < limit; ++i) {
        const auto byte = static_cast<std::uint64_t>(static_cast<unsigned char>(in[i]));
        // The tenth byte holds bit 63 only: anything above 1 overflows 64 bits.
        if (i == max_varint_size - 1 && byte > 1) return errc::bad_varint;
        value |= (byte & 0x7f) << (7 * i);
        if ((byte & 0x80) == 0) {
            in.remove_prefix(i + 1);
            out = value;
            return {};
        }
    }
    return errc::bad_varint;
}

}  // namespace hearth::session
