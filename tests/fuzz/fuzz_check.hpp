#pragma once
// Shared helpers of the libFuzzer targets (tests/fuzz/README.md).
//
// FUZZ_CHECK(cond, what) states a property of the code under test. A violated property is a
// bug like a crash: it prints the condition and aborts, so libFuzzer saves the input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define FUZZ_CHECK(cond, what)                                                  \
    do {                                                                        \
        if (!(cond)) ::hearth::fuzz::violated(#cond, what, __FILE__, __LINE__); \
    } while (false)

namespace hearth::fuzz {

[[noreturn]] inline void violated(const char* cond, std::string_view what, const char* file, int line) {
    std::fprintf(stderr, "fuzz property violated at %s:%d: %s\n  %.*s\n", file, line, cond,
                 static_cast<int>(what.size()), what.data());
    std::abort();
}

/// The input as a string_view.
inline std::string_view as_view(const std::uint8_t* data, std::size_t size) noexcept {
    return {reinterpret_cast<const char*>(data), size};
}

/// A deterministic sequence of chunk sizes for feeding a stream decoder in random splits: the
/// seed comes from the input, so a crash reproduces from the saved input alone.
class splitter {
  public:
    explicit splitter(std::uint32_t seed) noexcept : state_(seed | 1u) {}

    /// The next chunk size, 1..max (max >= 1). Small chunks are favoured: they cross every
    /// header/body boundary.
    std::size_t next(std::size_t max) noexcept {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 17;
        state_ ^= state_ << 5;
        const std::size_t r = state_;
        std::size_t n;
        switch (r & 3) {
            case 0:
                n = 1;
                break;
            case 1:
                n = 1 + (r >> 2) % 8;
                break;
            case 2:
                n = 1 + (r >> 2) % 300;
                break;
            default:
                n = 1 + (r >> 2) % 70000;
                break;
        }
        return n < max ? n : max;
    }

  private:
    std::uint32_t state_;
};

/// Reads a little-endian integer of `n` bytes from the front of `in` (fewer when short), for
/// the few parameters a target takes from its input before the bytes under test.
inline std::uint64_t take_le(std::string_view& in, std::size_t n) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n && !in.empty(); ++i) {
        v |= std::uint64_t{static_cast<unsigned char>(in.front())} << (8 * i);
        in.remove_prefix(1);
    }
    return v;
}

/// True when `s` is valid UTF-8 (what nlohmann::json::dump() requires of every string).
inline bool valid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len;
        std::uint32_t cp;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

}  // namespace hearth::fuzz
