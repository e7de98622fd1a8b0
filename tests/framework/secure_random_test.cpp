#include "framework/secure_random.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <vector>

#include "framework/node.hpp"
#include "tests/support/failing_random.hpp"

TEST_CASE("secure_random_bytes fills exactly the requested bytes and differs between draws") {
    // Guard bytes around the target show that nothing outside [1, 33) is written.
    std::array<std::uint8_t, 34> buf{};
    buf.front() = 0xa5;
    buf.back() = 0x5a;
    hearth::secure_random_bytes(buf.data() + 1, 32);
    CHECK(buf.front() == 0xa5);
    CHECK(buf.back() == 0x5a);

    // 100 draws of 32 bytes: a repeat has probability ~2^-243 unless the source is broken.
    std::set<std::vector<std::uint8_t>> seen;
    for (int i = 0; i < 100; ++i) {
        std::vector<std::uint8_t> v(32);
        hearth::secure_random_bytes(v.data(), v.size());
        CHECK(seen.insert(v).second);
    }
    // No byte position stays constant over the 100 draws.
    for (std::size_t pos = 0; pos < 32; ++pos) {
        std::set<std::uint8_t> values;
        for (const auto& v : seen) values.insert(v[pos]);
        CHECK(values.size() > 1);
    }

    hearth::secure_random_bytes(nullptr, 0);  // a zero-length request is valid and does nothing
}

TEST_CASE("secure_random_nonzero_u64 is never zero and differs between draws") {
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 1000; ++i) {
        const auto v = hearth::secure_random_nonzero_u64();
        CHECK(v != 0);
        CHECK(seen.insert(v).second);
    }
    // Both halves carry randomness (an id built from one 32-bit draw would leave one half fixed).
    std::set<std::uint32_t> high;
    std::set<std::uint32_t> low;
    for (auto v : seen) {
        high.insert(static_cast<std::uint32_t>(v >> 32));
        low.insert(static_cast<std::uint32_t>(v));
    }
    CHECK(high.size() > 990);
    CHECK(low.size() > 990);
}

TEST_CASE("each node draws its own non-zero incarnation") {
    hearth::node a(hearth::node_config{.name = "incarnation-a", .threads = 1});
    hearth::node b(hearth::node_config{.name = "incarnation-b", .threads = 1});
    CHECK(a.incarnation() != 0);
    CHECK(b.incarnation() != 0);
    CHECK(a.incarnation() != b.incarnation());
}

TEST_CASE("a failing generator is an exception with a sentence, never predictable bytes") {
    {
        hearth::test::failing_random_guard no_random;
        std::array<std::uint8_t, 32> buf{};
        using Catch::Matchers::Contains;
        CHECK_THROWS_WITH(hearth::secure_random_bytes(buf.data(), buf.size()),
                          Contains("The cryptographic random generator failed") && Contains("RAND_bytes"));
        CHECK_THROWS_AS(hearth::secure_random_nonzero_u64(), std::runtime_error);
        CHECK_THROWS_AS(hearth::node(hearth::node_config{.name = "no-random", .threads = 1}),
                        std::runtime_error);
    }
    // The generator works again once the guard is gone.
    std::array<std::uint8_t, 32> a{};
    std::array<std::uint8_t, 32> b{};
    hearth::secure_random_bytes(a.data(), a.size());
    hearth::secure_random_bytes(b.data(), b.size());
    CHECK(a != b);
}
