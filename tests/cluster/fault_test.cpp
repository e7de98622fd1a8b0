// Links under failure: a peer that crashes and restarts, a silent peer, half-close and reset,
// backoff. The fault proxy sits between the nodes where the test needs one.
#include "cluster/sender.hpp"

#include <future>
#include <set>

#include <catch2/catch.hpp>

#include "cluster/backoff.hpp"
#include "framework/metrics.hpp"
#include "tests/cluster/cluster_fixture.hpp"

using namespace hearth;
using namespace hearth::cluster;
using namespace hearth::cluster::testing;
using namespace std::chrono_literals;

namespace {

result<int> slow_call(hearth::node& from, int ms, std::chrono::milliseconds timeout) {
    return run_on(
        from, 0,
        [ms, timeout]() -> awaitable<result<int>> {
            hearth::testing::wait_req req{ms, 1};
            co_return co_await call(hearth::testing::wait_m, "echo@b", req, timeout);
        },
        timeout + 5s);
}

}  // namespace

TEST_CASE("a crashed peer restarted on its address: unreachable, then back within backoff bounds",
          "[cluster][fault]") {
    // Over plain links and over mutual TLS: the guarantees do not depend on the transport.
    const auto security = HEARTH_LINK_SECURITY();
    fixture f(security);
    f.add("a");
    auto& b = f.add("b");
    const auto b_port = b.port;
    auto cfg = f.config();
    f.start("a", cfg);
    f.start("b", cfg);
    auto& a = *f.at("a").n;
    auto& ac = *f.at("a").c;
    auto sub = ac.members().subscribe();
    REQUIRE(wait_up(ac, "b"));
    const auto first_incarnation = ac.stats("b")->peer_incarnation;

    // A call in flight when b crashes fails unreachable well before its own 3 s timeout.
    auto pending = std::async(std::launch::async, [&] { return slow_call(a, 2000, 3000ms); });
    REQUIRE(hearth::testing::eventually([&] { return ac.stats("b")->in_flight == 1; }));
    const auto crashed_at = std::chrono::steady_clock::now();
    f.kill("b");
    auto r = pending.get();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.code() == rpc::errc::unreachable);
    CHECK(std::chrono::steady_clock::now() - crashed_at < 1500ms);
    REQUIRE(wait_event(*sub, membership_event_kind::node_down, "b"));

    // Restart on the same port with a new incarnation.
    f.add("b", b_port);
    f.start("b", cfg);
    const auto restarted_at = std::chrono::steady_clock::now();
    auto up = wait_event(*sub, membership_event_kind::node_up, "b");
    REQUIRE(up);
    // The backoff cap is 200 ms: the link is back within cap + handshake + slack.
    CHECK(std::chrono::steady_clock::now() - restarted_at < 200ms + 800ms);
    CHECK(up->incarnation != first_incarnation);
    CHECK(ac.stats("b")->peer_incarnation == up->incarnation);
    auto ok = echo_call(a, "echo@b", "again");
    REQUIRE(ok.has_value());
    CHECK(ac.stats("b")->max_live_sockets == 1);
}

TEST_CASE("a blackholed peer is declared down within the heartbeat bound and recovers", "[cluster][fault]") {
    // Over plain links and over mutual TLS: the guarantees do not depend on the transport.
    const auto security = HEARTH_LINK_SECURITY();
    fixture f(security);
    f.add("a");
    f.add("b");
    auto& proxy = f.proxy_to("b");
    auto cfg = f.config();  // heartbeat 50 ms: silent after 150 ms
    auto a_cfg = cfg;
    a_cfg.nodes["b"] = endpoint{"127.0.0.1", proxy.port()};
    f.start("a", a_cfg);
    f.start("b", cfg);
    auto& a = *f.at("a").n;
    auto& ac = *f.at("a").c;
    auto sub = ac.members().subscribe();
    REQUIRE(wait_up(ac, "b"));
    REQUIRE(echo_call(a, "echo@b", "before").has_value());

    proxy.set_blackhole(true);
    const auto silenced = std::chrono::steady_clock::now();
    auto r = slow_call(a, 1, 300ms);
    REQUIRE_FALSE(r.has_value());
    CHECK((r.code() == rpc::errc::timeout || r.code() == rpc::errc::unreachable));
    CHECK(std::chrono::steady_clock::now() - silenced < 1000ms);
    REQUIRE(wait_event(*sub, membership_event_kind::node_down, "b", 2000ms));
    // 3 intervals of 50 ms plus one watchdog period of slack and scheduling.
    CHECK(std::chrono::steady_clock::now() - silenced < 1000ms);

    proxy.set_blackhole(false);
    REQUIRE(wait_event(*sub, membership_event_kind::node_up, "b", 3000ms));
    auto ok = echo_call(a, "echo@b", "after");
    REQUIRE(ok.has_value());
    CHECK(ac.stats("b")->max_live_sockets == 1);
}

TEST_CASE("half-close and reset: full teardown before reconnect, one socket at a time", "[cluster][fault]") {
    // Over plain links and over mutual TLS: the guarantees do not depend on the transport.
    const auto security = HEARTH_LINK_SECURITY();
    fixture f(security);
    f.add("a");
    f.add("b");
    auto& proxy = f.proxy_to("b");
    auto cfg = f.config();
    auto a_cfg = cfg;
    a_cfg.nodes["b"] = endpoint{"127.0.0.1", proxy.port()};
    f.start("a", a_cfg);
    f.start("b", cfg);
    auto& a = *f.at("a").n;
    auto& ac = *f.at("a").c;
    auto sub = ac.members().subscribe();
    REQUIRE(wait_up(ac, "b"));

    for (int round = 0; round < 3; ++round) {
        auto pending = std::async(std::launch::async, [&] { return slow_call(a, 2000, 3000ms); });
        REQUIRE(hearth::testing::eventually([&] { return ac.stats("b")->in_flight == 1; }));
        if (round % 2 == 0)
            proxy.half_close_clients();
        else
            proxy.reset_all();
        auto r = pending.get();
        REQUIRE_FALSE(r.has_value());
        CHECK(r.code() == rpc::errc::unreachable);
        REQUIRE(wait_event(*sub, membership_event_kind::node_down, "b"));
        REQUIRE(wait_event(*sub, membership_event_kind::node_up, "b"));
        CHECK(proxy.live_connections() <= 1);
        REQUIRE(echo_call(a, "echo@b", "again").has_value());
    }
    auto s = ac.stats("b");
    CHECK(s->max_live_sockets == 1);
    CHECK(s->links_up == 4);
}

TEST_CASE("backoff: exponential bounds, full jitter, reset", "[cluster][fault][backoff]") {
    backoff b(100ms, 1000ms, 42);
    std::vector<std::chrono::milliseconds> bounds;
    std::vector<std::chrono::milliseconds> delays;
    for (int i = 0; i < 8; ++i) {
        bounds.push_back(b.bound());
        delays.push_back(b.next());
        CHECK(delays.back() <= bounds.back());
        CHECK(delays.back() >= 0ms);
    }
    CHECK(bounds[0] == 100ms);
    CHECK(bounds[1] == 200ms);
    CHECK(bounds[2] == 400ms);
    CHECK(bounds[3] == 800ms);
    CHECK(bounds[4] == 1000ms);
    CHECK(bounds[7] == 1000ms);
    // Jitter: the draws are not all the same fraction of their bounds.
    std::set<long> distinct;
    for (auto d : delays) distinct.insert(d.count());
    CHECK(distinct.size() > 4);
    b.reset();
    CHECK(b.bound() == 100ms);
}

TEST_CASE("a down peer is retried on the backoff schedule, never once per call",
          "[cluster][fault][backoff]") {
    fixture f;
    auto o = fast_options();
    o.backoff_base = 10ms;
    o.backoff_cap = 80ms;
    f.add("a", 0, o);
    auto cfg = f.config();
    cfg.nodes["b"] = endpoint{"127.0.0.1", dead_port()};
    f.start("a", cfg);
    auto& ac = *f.at("a").c;
    REQUIRE(hearth::testing::eventually([&] { return ac.stats("b")->connect_attempts >= 6; }));
    const auto before = ac.stats("b")->connect_attempts;
    // 100 notifies while down: they queue; they do not cause connect attempts.
    run_on(*f.at("a").n, 0, []() -> awaitable<void> {
        for (int i = 0; i < 100; ++i) (void)notify(hearth::testing::record_m, "echo@b", i);
        co_return;
    });
    const auto after = ac.stats("b")->connect_attempts;
    CHECK(after - before <= 1);
    auto s = ac.stats("b");
    REQUIRE(s->backoff_history.size() >= 5);
    std::chrono::milliseconds bound = 10ms;
    for (auto d : s->backoff_history) {
        CHECK(d <= bound);
        bound = std::min(bound * 2, std::chrono::milliseconds(80));
    }
    CHECK(s->membership == node_state::connecting);
    CHECK(s->max_live_sockets == 1);
}

TEST_CASE("backoff resets after a stable period", "[cluster][fault][backoff]") {
    fixture f;
    auto o = fast_options();
    o.backoff_base = 10ms;
    o.backoff_cap = 5000ms;
    o.stable_after = 100ms;
    f.add("a", 0, o);
    auto& b = f.add("b");
    const auto b_port = b.port;
    auto cfg = f.config();
    f.start("a", cfg);
    auto& ac = *f.at("a").c;
    // b absent: the bound grows (10, 20, 40, ...).
    REQUIRE(hearth::testing::eventually([&] { return ac.stats("b")->connect_attempts >= 6; }));
    f.start("b", cfg);
    REQUIRE(wait_up(ac, "b", 10s));
    // Stay up past the stable period: wait for heartbeats to flow for a while.
    auto sub = ac.members().subscribe();
    REQUIRE(hearth::testing::eventually([&] {
        return f.at("a")
                   .n->metrics()
                   .counter("hearth_cluster_sender_frames_in_total", "", {{"peer", "b"}})
                   .value() >= 5;
    }));
    const auto before = ac.stats("b")->backoff_history.size();
    REQUIRE(before < 32);
    f.kill("b");
    REQUIRE(wait_event(*sub, membership_event_kind::node_down, "b"));
    REQUIRE(hearth::testing::eventually([&] { return ac.stats("b")->backoff_history.size() > before; }));
    auto s = ac.stats("b");
    // The first delay after the stable link comes from the first bound again.
    CHECK(s->backoff_history[before] <= 10ms);
    (void)b_port;
}
