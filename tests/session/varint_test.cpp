#include "session/varint.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include "tests/session/hex.hpp"

using namespace hearth::session;
using test::from_hex;
using test::to_hex;

TEST_CASE("varint encodes the contract's examples and the edges") {
    struct sample {
        std::uint64_t value;
        const char* hex;
    };
    const sample samples[] = {
        {0, "00"},
        {1, "01"},
        {127, "7f"},
        {128, "80 01"},
        {300, "ac 02"},
        {16383, "ff 7f"},
        {16384, "80 80 01"},
        {std::uint64_t{1} << 32, "80 80 80 80 10"},
        {0xffffffffu, "ff ff ff ff 0f"},
        {std::numeric_limits<std::uint64_t>::max(), "ff ff ff ff ff ff ff ff ff 01"},
    };
    for (const auto& s : samples) {
        INFO(s.value);
        std::string out;
        append_varint(out, s.value);
        REQUIRE(to_hex(out) == s.hex);
        REQUIRE(varint_size(s.value) == out.size());

        std::string with_tail = out + "rest";
        std::string_view in = with_tail;
        std::uint64_t v = 12345;
        REQUIRE_FALSE(read_varint(in, v));
        REQUIRE(v == s.value);
        REQUIRE(in == "rest");
    }
}

TEST_CASE("varint rejects truncated, overlong and overflowing input") {
    const char* bad[] = {
        "",                                  // nothing
        "80",                                // ends inside
        "ff ff",                             // ends inside
        "ff ff ff ff ff ff ff ff ff 02",     // 10 bytes, 65 bits
        "ff ff ff ff ff ff ff ff ff 7f",     // 10 bytes, way over
        "80 80 80 80 80 80 80 80 80 80 01",  // 11 bytes
        "ff ff ff ff ff ff ff ff ff 81 00",  // 10th byte continues
    };
    for (const char* hex : bad) {
        INFO(hex);
        const std::string bytes = from_hex(hex);
        std::string_view in = bytes;
        std::uint64_t v = 7;
        REQUIRE(read_varint(in, v) == errc::bad_varint);
        REQUIRE(v == 7);                     // untouched
        REQUIRE(in.size() == bytes.size());  // nothing consumed
    }
}

TEST_CASE("varint accepts non-minimal encodings within 10 bytes") {
    const std::string bytes = from_hex("81 80 00");
    std::string_view in = bytes;
    std::uint64_t v = 0;
    REQUIRE_FALSE(read_varint(in, v));
    REQUIRE(v == 1);
    REQUIRE(in.empty());
}
