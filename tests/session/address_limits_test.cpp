// The pieces of the per-address connection limits, without sockets: the address form, the
// CIDR matcher, the token bucket and the table (driven with explicit times).
#include "session/detail/address_limits.hpp"

#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "session/detail/ip_network.hpp"
#include "session/detail/token_bucket.hpp"
#include "session/gate_options.hpp"

using hearth::session::gate_options;
using hearth::session::detail::address_key;
using hearth::session::detail::address_limits;
using hearth::session::detail::address_limits_config;
using hearth::session::detail::ip_network;
using hearth::session::detail::token_bucket;
using namespace std::chrono_literals;

namespace {

address_key addr(const char* text) {
    auto a = address_key::parse(text);
    REQUIRE(a);
    return *a;
}

bool in(const char* cidr, const char* address) {
    auto n = ip_network::parse(cidr);
    REQUIRE(n);
    return n->contains(addr(address));
}

address_limits_config config(std::size_t max, double rate, double burst, bool loopback_exempt = false) {
    gate_options o;
    o.max_connections_per_address = max;
    o.connection_rate_per_address = rate;
    o.connection_burst_per_address = burst;
    o.exempt_loopback = loopback_exempt;
    std::string error;
    auto c = address_limits_config::from(o, error);
    REQUIRE(c);
    return *c;
}

const auto t0 = std::chrono::steady_clock::time_point{} + 1000h;

}  // namespace

TEST_CASE("address key: IPv4-mapped IPv6 is the IPv4 address", "[address_limits]") {
    CHECK(addr("10.1.2.3") == addr("::ffff:10.1.2.3"));
    CHECK(addr("10.1.2.3").is_v4());
    CHECK(addr("::ffff:10.1.2.3").to_string() == "10.1.2.3");
    CHECK_FALSE(addr("10.1.2.3") == addr("10.1.2.4"));
    CHECK_FALSE(addr("::1").is_v4());
    CHECK(addr("2001:db8::1").to_string() == "2001:db8::1");
    CHECK_FALSE(address_key::parse("10.1.2"));
    CHECK_FALSE(address_key::parse("host.example"));
}

TEST_CASE("CIDR matcher: IPv4, IPv6, prefixes and refusals", "[address_limits]") {
    CHECK(in("10.0.0.0/8", "10.255.1.2"));
    CHECK_FALSE(in("10.0.0.0/8", "11.0.0.1"));
    CHECK(in("192.168.1.0/24", "192.168.1.77"));
    CHECK_FALSE(in("192.168.1.0/24", "192.168.2.77"));
    CHECK(in("172.16.0.0/12", "172.31.255.255"));
    CHECK_FALSE(in("172.16.0.0/12", "172.32.0.0"));
    CHECK(in("10.0.0.0/8", "::ffff:10.9.9.9"));  // mapped counts as IPv4
    CHECK(in("::ffff:10.0.0.0/104", "10.9.9.9"));
    CHECK(in("0.0.0.0/0", "8.8.8.8"));
    CHECK_FALSE(in("0.0.0.0/0", "::1"));  // IPv4's /0 is every IPv4 address, not IPv6
    CHECK(in("::/0", "2001:db8::5"));
    CHECK(in("::1/128", "::1"));
    CHECK_FALSE(in("::1/128", "::2"));
    CHECK_FALSE(in("::1/128", "127.0.0.1"));
    CHECK(in("2001:db8::/32", "2001:db8:ffff::1"));
    CHECK_FALSE(in("2001:db8::/32", "2001:db9::1"));
    CHECK(in("2001:db8::/33", "2001:db8:7fff::1"));
    CHECK_FALSE(in("2001:db8::/33", "2001:db8:8000::1"));
    CHECK(in("10.1.2.3", "10.1.2.3"));  // a bare address is one host
    CHECK_FALSE(in("10.1.2.3", "10.1.2.4"));
    CHECK(in("10.1.2.3/8", "10.200.0.1"));  // host bits ignored
    CHECK(ip_network::parse("10.0.0.0/8")->prefix_bits() == 104);

    for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::1/129", "10.0.0/8", "10.0.0.0/8x",
                            "10.0.0.0/-1", "10.0.0.0/ 8", "x", "fe80::1%eth0/64", "10.0.0.0/0008"})
        CHECK_FALSE(ip_network::parse(bad));
}

TEST_CASE("token bucket: burst at once, then the rate", "[address_limits]") {
    token_bucket b(3, t0);
    CHECK(b.take(2, 3, t0));
    CHECK(b.take(2, 3, t0));
    CHECK(b.take(2, 3, t0));
    CHECK_FALSE(b.take(2, 3, t0));          // burst + 1
    CHECK_FALSE(b.take(2, 3, t0 + 499ms));  // 0.998 tokens
    CHECK(b.take(2, 3, t0 + 500ms));        // one token after 1/rate
    CHECK_FALSE(b.take(2, 3, t0 + 500ms));
    CHECK(b.full_at(2, 3, t0 + 500ms) > t0 + 1999ms);
    CHECK(b.full_at(2, 3, t0 + 500ms) <= t0 + 2000ms + 1us);
    CHECK(b.tokens() == Approx(0));
    CHECK(b.take(2, 3, t0 + 10s));  // never more than burst
    CHECK(b.take(2, 3, t0 + 10s));
    CHECK(b.take(2, 3, t0 + 10s));
    CHECK_FALSE(b.take(2, 3, t0 + 10s));
    CHECK_FALSE(b.take(2, 3, t0 + 9s));  // a clock going back refills nothing
}

TEST_CASE("address table: max connections per address, slots freed, entries removed", "[address_limits]") {
    address_limits t(config(2, 0, 0));
    using v = address_limits::verdict;
    const auto a = addr("10.0.0.1");
    const auto b = addr("10.0.0.2");
    CHECK(t.admit(a, t0) == v::admitted);
    CHECK(t.admit(addr("::ffff:10.0.0.1"), t0) == v::admitted);  // the same address
    CHECK(t.admit(a, t0) == v::too_many);
    CHECK(t.admit(b, t0) == v::admitted);  // another address is not affected
    CHECK(t.connections(a) == 2);
    CHECK(t.size() == 2);
    t.release(a, t0);
    CHECK(t.admit(a, t0) == v::admitted);
    t.release(a, t0);
    t.release(a, t0);
    t.release(b, t0);
    CHECK(t.size() == 0);  // no bucket: removed with the last connection
    CHECK_FALSE(t.next_expiry());
}

TEST_CASE("address table: the rate bucket refuses burst + 1 and refills", "[address_limits]") {
    address_limits t(config(0, 1, 2));  // 1 per second, 2 at once
    using v = address_limits::verdict;
    const auto a = addr("2001:db8::7");
    CHECK(t.admit(a, t0) == v::admitted);
    CHECK(t.admit(a, t0) == v::admitted);
    CHECK(t.admit(a, t0 + 10ms) == v::too_fast);
    CHECK(t.admit(addr("2001:db8::8"), t0 + 10ms) == v::admitted);
    CHECK(t.admit(a, t0 + 1s) == v::admitted);
    CHECK(t.admit(a, t0 + 1s) == v::too_fast);

    // The entry stays while the bucket refills, then goes.
    t.release(a, t0 + 1s);
    t.release(a, t0 + 1s);
    CHECK(t.connections(a) == 1);
    t.release(a, t0 + 1s);
    CHECK(t.size() == 2);
    REQUIRE(t.next_expiry());
    CHECK(*t.next_expiry() > t0 + 2999ms);  // empty at 1 s, full 2 s later
    CHECK(*t.next_expiry() <= t0 + 3001ms);
    t.sweep(t0 + 2s);
    CHECK(t.size() == 2);
    t.sweep(*t.next_expiry());
    CHECK(t.size() == 1);                       // 2001:db8::8 still has its connection
    CHECK(t.admit(a, t0 + 4s) == v::admitted);  // a new entry, full
    CHECK(t.admit(a, t0 + 4s) == v::admitted);
}

TEST_CASE("address table: an entry reused while idle is not removed", "[address_limits]") {
    address_limits t(config(0, 1, 1));
    using v = address_limits::verdict;
    const auto a = addr("10.0.0.9");
    CHECK(t.admit(a, t0) == v::admitted);
    t.release(a, t0);                           // idle, full at t0 + 1 s
    CHECK(t.admit(a, t0 + 1s) == v::admitted);  // reused
    t.sweep(t0 + 1500ms);                       // the stale idle item must not remove it
    CHECK(t.connections(a) == 1);
    t.release(a, t0 + 1500ms);
    t.sweep(t0 + 2400ms);
    CHECK(t.size() == 1);
    t.sweep(t0 + 2600ms);
    CHECK(t.size() == 0);
}

TEST_CASE("address table: trusted networks and loopback are exempt", "[address_limits]") {
    using v = address_limits::verdict;
    gate_options o;
    o.max_connections_per_address = 1;
    o.trusted_networks = {"10.0.0.0/8", "2001:db8::/32"};
    std::string error;
    auto c = address_limits_config::from(o, error);
    REQUIRE(c);
    address_limits t(*c);
    for (int i = 0; i < 3; ++i) {
        CHECK(t.admit(addr("10.1.1.1"), t0) == v::untracked);
        CHECK(t.admit(addr("::ffff:10.1.1.1"), t0) == v::untracked);
        CHECK(t.admit(addr("2001:db8::1"), t0) == v::untracked);
        CHECK(t.admit(addr("127.0.0.1"), t0) == v::untracked);  // exempt_loopback defaults to true
        CHECK(t.admit(addr("::1"), t0) == v::untracked);
    }
    CHECK(t.size() == 0);
    CHECK(t.admit(addr("11.1.1.1"), t0) == v::admitted);
    CHECK(t.admit(addr("11.1.1.1"), t0) == v::too_many);

    address_limits strict(config(1, 0, 0, false));
    CHECK(strict.admit(addr("127.0.0.1"), t0) == v::admitted);
    CHECK(strict.admit(addr("127.0.0.1"), t0) == v::too_many);

    address_limits off(config(0, 0, 0, false));  // both limits off: nothing tracked
    CHECK(off.admit(addr("11.1.1.1"), t0) == v::untracked);
    CHECK(off.size() == 0);
}

TEST_CASE("address limits: options built in code are validated", "[address_limits]") {
    std::string error;
    gate_options o;
    o.trusted_networks = {"10.0.0.0/8", "10.0.0.0/40"};
    CHECK_FALSE(address_limits_config::from(o, error));
    CHECK(error.find("'10.0.0.0/40'") != std::string::npos);
    o = {};
    o.connection_burst_per_address = 0.5;
    CHECK_FALSE(address_limits_config::from(o, error));
    CHECK(error.find("connection_burst_per_address") != std::string::npos);
    o = {};
    o.connection_rate_per_address = -1;
    CHECK_FALSE(address_limits_config::from(o, error));
    CHECK(error.find("connection_rate_per_address") != std::string::npos);
    o = {};
    o.connection_rate_per_address = 5;
    auto c = address_limits_config::from(o, error);
    REQUIRE(c);
    CHECK(c->burst == 5);                                                        // burst 0 = max(1, rate)
    CHECK_FALSE(address_limits_config::from(gate_options{}, error)->enabled());  // off by default
}
