// The NTP-style clock estimate of a link (cluster/detail/clock_sync.hpp): exact on symmetric
// delays, within half the round trip otherwise, and not fooled by samples read late (a stopped
// process, a full receive buffer).

#include "cluster/detail/clock_sync.hpp"

#include <catch2/catch.hpp>

using hearth::cluster::time_stamps;
using hearth::cluster::detail::clock_sync;

namespace {

// Simulates one exchange: we write at `t1` (our clock), the peer (whose clock reads ours +
// `offset`) reads it after `out_delay`, holds it for `hold`, writes back, and we read the
// answer after `back_delay`. Returns our arrival time.
std::uint64_t exchange(clock_sync& us, std::int64_t offset, std::uint64_t t1, std::uint64_t out_delay,
                       std::uint64_t hold, std::uint64_t back_delay) {
    const auto t2 = static_cast<std::uint64_t>(static_cast<std::int64_t>(t1 + out_delay) + offset);
    const auto t3 = t2 + hold;
    const auto t4 = t1 + out_delay + hold + back_delay;
    REQUIRE(us.on_stamps(time_stamps{t1, t2, t3}, t4));
    return t4;
}

}  // namespace

TEST_CASE("clock_sync: symmetric delays give the exact offset and round trip", "[cluster][clock]") {
    clock_sync s;
    CHECK_FALSE(s.has_estimate());
    // The first stamp of an exchange (a challenge) echoes nothing: no sample yet.
    CHECK(s.on_stamps(time_stamps{0, 0, 5'000'000}, 1'000'000));
    CHECK_FALSE(s.has_estimate());
    CHECK(s.stamps(1'000'100) == time_stamps{5'000'000, 1'000'000, 1'000'100});

    exchange(s, 7'000'000, 2'000'000, 150, 40'000, 150);
    REQUIRE(s.has_estimate());
    CHECK(s.offset_us() == 7'000'000);
    CHECK(s.round_trip_us() == 300);
    // A peer time maps back to ours.
    CHECK(hearth::cluster::detail::wire_time(s.to_local(9'500'000)) == 2'500'000);

    clock_sync behind;
    exchange(behind, 7'000'000'000LL, 20'000'000'000ULL, 80, 0, 80);
    CHECK(behind.offset_us() == 7'000'000'000LL);
}

TEST_CASE("clock_sync: asymmetric delays err by at most half the round trip", "[cluster][clock]") {
    clock_sync s;
    exchange(s, -1'234'567, 10'000'000, 900, 10, 100);
    const auto err = s.offset_us() - (-1'234'567);
    CHECK(s.round_trip_us() == 1000);
    CHECK(std::abs(err) <= static_cast<std::int64_t>(s.round_trip_us() / 2));
    CHECK(err == 400);
    // A deadline maps to the earliest local time it can be: never later than the true one.
    const std::uint64_t peer_deadline = 20'000'000;
    const auto true_local = static_cast<std::int64_t>(peer_deadline) + 1'234'567;
    const auto mapped =
        static_cast<std::int64_t>(hearth::cluster::detail::wire_time(s.deadline_to_local(peer_deadline)));
    CHECK(mapped <= true_local);
    CHECK(true_local - mapped <= static_cast<std::int64_t>(s.round_trip_us()));
}

TEST_CASE("clock_sync: a sample read late does not displace a good one", "[cluster][clock]") {
    clock_sync s;
    exchange(s, 500'000, 1'000'000, 100, 0, 100);
    REQUIRE(s.offset_us() == 500'000);
    // The peer's heartbeat sat 4 s in our receive buffer while this process was stopped: its
    // offset is 2 s off and its round trip 4 s long. It is not taken...
    exchange(s, 500'000, 2'000'000, 100, 0, 4'000'000);
    CHECK(s.offset_us() == 500'000);
    CHECK(s.round_trip_us() == 200);
    // ...nor are a few more late ones later on.
    for (std::uint64_t t = 6'000'000; t < 12'000'000; t += 1'000'000)
        exchange(s, 500'000, t, 100, 0, 900'000);
    CHECK(s.offset_us() == 500'000);
    // A sample as good as the kept one (here: a drifted clock) replaces it.
    exchange(s, 500'050, 13'000'000, 100, 0, 100);
    CHECK(s.offset_us() == 500'050);
    // After a long time the kept sample has aged by the possible drift: an hour later a sample
    // with a 1 ms round trip is trusted more than one with 200 us taken an hour ago.
    exchange(s, 501'000, 13'000'000 + 3'600'000'000ULL, 500, 0, 500);
    CHECK(s.offset_us() == 501'000);
    CHECK(s.round_trip_us() == 1000);
}

TEST_CASE("clock_sync: inconsistent stamps are no sample", "[cluster][clock]") {
    clock_sync s;
    CHECK_FALSE(s.on_stamps(time_stamps{0, 0, 0}, 10));  // not stamped
    // It echoes a time after its own arrival (not one of ours).
    CHECK_FALSE(s.on_stamps(time_stamps{5'000, 100, 200}, 1'000));
    // The peer claims it wrote before it read.
    CHECK_FALSE(s.on_stamps(time_stamps{500, 300, 200}, 1'000));
    CHECK_FALSE(s.has_estimate());
}
