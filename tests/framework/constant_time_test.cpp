#include "framework/constant_time.hpp"

#include <catch2/catch.hpp>

#include <string>

using hearth::constant_time_equal;

TEST_CASE("constant_time_equal is true only for identical byte strings") {
    SECTION("equal") {
        CHECK(constant_time_equal("hearth-demo-token", "hearth-demo-token"));
        const std::string a(1000, 'x');
        CHECK(constant_time_equal(a, std::string(1000, 'x')));
        CHECK(constant_time_equal(std::string_view("a\0c", 3), std::string_view("a\0c", 3)));
    }
    SECTION("different content, same length") {
        CHECK_FALSE(constant_time_equal("abc", "abd"));
        CHECK_FALSE(constant_time_equal("xbc", "abc"));  // first byte
        CHECK_FALSE(constant_time_equal(std::string_view("a\0c", 3), std::string_view("a\0d", 3)));
        // Every single-bit difference at every position is seen.
        const std::string base = "0123456789abcdef";
        for (std::size_t i = 0; i < base.size(); ++i)
            for (int bit = 0; bit < 8; ++bit) {
                std::string flipped = base;
                flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
                CHECK_FALSE(constant_time_equal(flipped, base));
            }
    }
    SECTION("different lengths") {
        CHECK_FALSE(constant_time_equal("abc", "ab"));
        CHECK_FALSE(constant_time_equal("ab", "abc"));
        // A prefix of the secret, or the secret with a suffix, is not the secret.
        CHECK_FALSE(constant_time_equal("hearth-demo", "hearth-demo-token"));
        CHECK_FALSE(constant_time_equal("hearth-demo-token!", "hearth-demo-token"));
        // Same bytes where both exist plus trailing zero bytes: the length still decides.
        CHECK_FALSE(constant_time_equal(std::string_view("abc\0", 4), "abc"));
    }
    SECTION("empty") {
        CHECK(constant_time_equal("", ""));
        CHECK(constant_time_equal(std::string_view(), std::string_view()));
        CHECK_FALSE(constant_time_equal("", "token"));
        CHECK_FALSE(constant_time_equal("token", ""));
        CHECK_FALSE(constant_time_equal(std::string_view(), "token"));
    }
}
