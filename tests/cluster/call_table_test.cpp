// The sender's in-flight call table against a reference map: random inserts, takes, expiry.
#include "cluster/detail/call_table.hpp"

#include <map>
#include <random>
#include <utility>

#include <catch2/catch.hpp>

using tclock = hearth::clock;
using hearth::cluster::detail::call_table;

TEST_CASE("call_table behaves like a map under random inserts, takes and expiry", "[cluster][call_table]") {
    call_table t;
    std::map<std::pair<std::uint64_t, std::uint32_t>, tclock::time_point> ref;
    std::mt19937_64 rng(42);
    const auto base = tclock::time_point{} + std::chrono::hours(1);
    for (int round = 0; round < 200000; ++round) {
        const std::uint64_t id = rng() % 5000;  // many collisions and re-uses
        const std::uint32_t w = static_cast<std::uint32_t>(rng() % 3);
        const auto deadline = base + std::chrono::milliseconds(rng() % 1000);
        switch (rng() % 3) {
            case 0:
            case 1:
                t.insert(call_table::key{id, w}, deadline);
                ref[{id, w}] = deadline;
                break;
            default:
                REQUIRE(t.take(call_table::key{id, w}) == (ref.erase({id, w}) == 1));
        }
        REQUIRE(t.size() == ref.size());
        if (round % 20000 == 0) {
            const auto cut = base + std::chrono::milliseconds(500);
            t.erase_if([&](tclock::time_point d) { return d < cut; });
            std::erase_if(ref, [&](const auto& kv) { return kv.second < cut; });
            REQUIRE(t.size() == ref.size());
        }
    }
    std::size_t seen = 0;
    t.for_each([&](call_table::key k, tclock::time_point d) {
        auto it = ref.find({k.id, k.worker});
        REQUIRE(it != ref.end());
        CHECK(it->second == d);
        ++seen;
    });
    CHECK(seen == ref.size());
    for (const auto& [k, d] : ref) CHECK(t.take(call_table::key{k.first, k.second}));
    CHECK(t.empty());
    CHECK_FALSE(t.take(call_table::key{1, 0}));
    t.insert(call_table::key{7, 1}, base);
    t.clear();
    CHECK(t.empty());
    CHECK_FALSE(t.take(call_table::key{7, 1}));
}
