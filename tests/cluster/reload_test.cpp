// Hot reload: add, remove, change address, invalid, same twice, dry run.
#include "cluster/cluster.hpp"

#include <future>

#include <catch2/catch.hpp>

#include "tests/cluster/cluster_fixture.hpp"

using namespace hearth;
using namespace hearth::cluster;
using namespace hearth::cluster::testing;
using namespace std::chrono_literals;

TEST_CASE("reload adds and removes nodes; removal fails pending calls unreachable", "[cluster][reload]") {
    fixture f;
    f.add("a");
    f.add("b");
    auto full = f.config();
    auto only_a = full;
    only_a.nodes.erase("b");
    auto& ac = *f.at("a").c;
    auto sub = ac.members().subscribe();
    f.start("a", only_a);
    f.start("b", full);
    auto& a = *f.at("a").n;
    CHECK(echo_call(a, "echo@b", "x").code() == rpc::errc::unreachable);

    auto added = ac.reload(full);
    REQUIRE(added.has_value());
    REQUIRE(added->added.size() == 1);
    CHECK(added->added[0].name == "b");
    REQUIRE(wait_event(*sub, membership_event_kind::node_up, "b"));
    REQUIRE(echo_call(a, "echo@b", "x").has_value());

    auto pending = std::async(std::launch::async, [&] {
        return run_on(
            a, 0,
            []() -> awaitable<result<int>> {
                hearth::testing::wait_req req{3000, 1};
                co_return co_await call(hearth::testing::wait_m, "echo@b", req, 5s);
            },
            10s);
    });
    REQUIRE(hearth::testing::eventually([&] { return ac.stats("b")->in_flight == 1; }));
    const auto removed_at = std::chrono::steady_clock::now();
    auto removed = ac.reload(only_a);
    REQUIRE(removed.has_value());
    REQUIRE(removed->removed.size() == 1);
    auto r = pending.get();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.code() == rpc::errc::unreachable);
    CHECK(std::chrono::steady_clock::now() - removed_at < 1s);
    REQUIRE(wait_event(*sub, membership_event_kind::node_removed, "b"));
    CHECK(echo_call(a, "echo@b", "x").code() == rpc::errc::unreachable);
    CHECK(ac.reload_count() == 2);
}

TEST_CASE("reload with a changed address reconnects there; unchanged links keep their calls",
          "[cluster][reload]") {
    fixture f;
    f.add("a");
    f.add("b");
    f.add("c");
    auto& proxy = f.proxy_to("b");
    auto cfg = f.config();
    auto& ac = *f.at("a").c;
    auto sub = ac.members().subscribe();
    f.start("a", cfg);
    f.start("b", cfg);
    f.start("c", cfg);
    auto& a = *f.at("a").n;
    REQUIRE(wait_up(ac, "b"));
    REQUIRE(wait_sender_up(ac, "c"));
    const auto c_links = ac.stats("c")->links_up;

    // A slow call to c spans the reload: c is unchanged, so it completes normally.
    auto pending = std::async(std::launch::async, [&] {
        return run_on(
            a, 0,
            []() -> awaitable<result<int>> {
                hearth::testing::wait_req req{300, 9};
                co_return co_await call(hearth::testing::wait_m, "echo@c", req, 5s);
            },
            10s);
    });
    REQUIRE(hearth::testing::eventually([&] { return ac.stats("c")->in_flight == 1; }));

    auto moved = cfg;
    moved.nodes["b"] = endpoint{"127.0.0.1", proxy.port()};
    auto d = ac.reload(moved);
    REQUIRE(d.has_value());
    REQUIRE(d->changed.size() == 1);
    CHECK(d->changed[0].name == "b");
    auto ev = wait_event(*sub, membership_event_kind::node_address_changed, "b");
    REQUIRE(ev);
    CHECK(ev->address->port == proxy.port());
    REQUIRE(hearth::testing::eventually(
        [&] { return proxy.total_connections() >= 1 && ac.members().state("b") == node_state::up; }));
    REQUIRE(echo_call(a, "echo@b", "via proxy").has_value());

    auto slow = pending.get();
    REQUIRE(slow.has_value());
    CHECK(*slow == 9);
    CHECK(ac.stats("c")->links_up == c_links);
    CHECK(ac.stats("b")->max_live_sockets == 1);
}

TEST_CASE("reload rejects invalid configurations and is idempotent", "[cluster][reload]") {
    fixture f;
    f.add("a");
    f.add("b");
    auto cfg = f.config();
    auto& ac = *f.at("a").c;
    f.start("a", cfg);
    f.start("b", cfg);
    REQUIRE(wait_sender_up(ac, "b"));
    const auto links = ac.stats("b")->links_up;

    auto garbage = ac.reload(std::string_view("{\"cluster\": \"test\", \"nodes\": 5"));
    REQUIRE_FALSE(garbage.has_value());
    CHECK(garbage.error() == hearth::cluster::errc::bad_config);
    auto unknown_key = ac.reload(std::string_view(
        R"({"cluster":"test","secret":"s3cret","heartbeet_ms":5,"nodes":{"a":"127.0.0.1:1"}})"));
    REQUIRE_FALSE(unknown_key.has_value());
    auto without_me = cfg;
    without_me.nodes.erase("a");
    auto no_self = ac.reload(without_me);
    REQUIRE_FALSE(no_self.has_value());
    CHECK(no_self.error().message.find("'a'") != std::string::npos);
    CHECK(ac.config() == cfg);

    auto same = ac.reload(cfg);
    REQUIRE(same.has_value());
    CHECK(same->empty());
    auto same_again = ac.reload(cfg);
    REQUIRE(same_again.has_value());
    CHECK(same_again->empty());
    CHECK(ac.reload_count() == 0);

    auto grown = cfg;
    grown.nodes["d"] = std::nullopt;
    auto dry = ac.reload(grown, true);
    REQUIRE(dry.has_value());
    CHECK(dry->added.size() == 1);
    CHECK(ac.config() == cfg);
    CHECK_FALSE(ac.stats("d").has_value());

    CHECK(ac.stats("b")->links_up == links);
    REQUIRE(echo_call(*f.at("a").n, "echo@b", "still").has_value());
}

TEST_CASE("reload with a new secret re-establishes every link", "[cluster][reload]") {
    fixture f;
    f.add("a");
    f.add("b");
    auto cfg = f.config();
    f.start("a", cfg);
    f.start("b", cfg);
    auto& ac = *f.at("a").c;
    auto& bc = *f.at("b").c;
    REQUIRE(wait_up(ac, "b"));
    auto next = cfg;
    next.secret = "rotated";
    REQUIRE(bc.reload(next).has_value());
    REQUIRE(ac.reload(next).has_value());
    REQUIRE(hearth::testing::eventually(
        [&] { return ac.stats("b")->links_up >= 2 && ac.members().state("b") == node_state::up; }));
    REQUIRE(echo_call(*f.at("a").n, "echo@b", "rotated").has_value());
}

TEST_CASE("a node removed by reload loses its inbound links too, with a reject, and sees the removal",
          "[cluster][reload]") {
    fixture f;
    f.add("a");
    f.add("b");
    auto full = f.config();
    auto without_b = full;
    without_b.nodes.erase("b");
    auto& ac = *f.at("a").c;
    auto& bc = *f.at("b").c;
    auto& a = *f.at("a").n;
    auto& b = *f.at("b").n;
    f.start("a", full);
    f.start("b", full);  // b's own configuration still lists a: only a applies the removal
    REQUIRE(wait_sender_up(ac, "b"));
    REQUIRE(wait_sender_up(bc, "a"));
    REQUIRE(echo_call(b, "echo@a", "before").has_value());
    const auto refused_before = ac.handshake_failures();
    auto b_events = bc.members().subscribe();

    REQUIRE(ac.reload(without_b));
    // b's link into a is closed with a reject that says why, and b's membership shows it.
    auto down = wait_event(*b_events, membership_event_kind::node_down, "a");
    REQUIRE(down);
    CHECK(down->reason.find("unknown_node") != std::string::npos);
    CHECK(down->reason.find("removed") != std::string::npos);
    // Its later attempts are refused at the handshake, for the same reason.
    REQUIRE(hearth::testing::eventually([&] {
        auto s = bc.stats("a");
        return s && s->last_failure.find("unknown_node") != std::string::npos;
    }));
    REQUIRE(hearth::testing::eventually([&] { return bc.members().state("a") != node_state::up; }));
    // Its new handshakes are refused; a keeps no inbound link from it.
    REQUIRE(hearth::testing::eventually([&] { return ac.handshake_failures() >= refused_before + 2; }));
    REQUIRE(hearth::testing::eventually([&] { return ac.agent_count() == 0; }));
    CHECK(bc.members().state("a") != node_state::up);
    CHECK(bc.stats("a")->state != link_state::up);

    // Nothing b sends runs on a any more: its calls fail, its notifies are not delivered.
    auto r = echo_call(b, "echo@a", "after", 300ms);
    REQUIRE_FALSE(r.has_value());
    CHECK((r.code() == rpc::errc::timeout || r.code() == rpc::errc::unreachable));
    (void)notify(b, hearth::testing::record_m, "echo@a", 42);
    auto history = run_on(a, 0, []() -> awaitable<result<std::vector<int>>> {
        co_return co_await call(hearth::testing::history_m, "echo", 0, 1s);
    });
    REQUIRE(history.has_value());
    CHECK(history->empty());
}

TEST_CASE("a changed secret closes every inbound link with a reject that says why", "[cluster][reload]") {
    fixture f;
    f.add("a");
    f.add("b");
    auto cfg = f.config();
    f.start("a", cfg);
    f.start("b", cfg);
    auto& ac = *f.at("a").c;
    auto& bc = *f.at("b").c;
    REQUIRE(wait_sender_up(ac, "b"));
    REQUIRE(wait_sender_up(bc, "a"));
    REQUIRE(hearth::testing::eventually([&] { return ac.agent_count() == 1; }));
    auto b_events = bc.members().subscribe();

    // Only a rotates the secret: b's link into a is closed with a reject naming the change (not
    // a bare close whose only trace is the next handshake's bad_signature).
    auto next = cfg;
    next.secret = "rotated";
    REQUIRE(ac.reload(next));
    auto down = wait_event(*b_events, membership_event_kind::node_down, "a");
    REQUIRE(down);
    CHECK(down->reason.find("rejected the link (bad_signature)") != std::string::npos);
    CHECK(down->reason.find("secret of node 'a' changed") != std::string::npos);
    CHECK(down->reason.find("rotated") == std::string::npos);  // never the secret itself
    // b's new handshakes (old secret) are refused.
    REQUIRE(hearth::testing::eventually([&] {
        auto s = bc.stats("a");
        return s && s->connect_attempts >= 2 && s->last_failure.find("bad_signature") != std::string::npos;
    }));
    CHECK(bc.members().state("a") != node_state::up);

    // Once b has the same secret, both links come back.
    REQUIRE(bc.reload(next));
    REQUIRE(hearth::testing::eventually([&] {
        auto s = bc.stats("a");
        return s && s->state == link_state::up && s->links_up >= 2;
    }));
    REQUIRE(echo_call(*f.at("b").n, "echo@a", "rotated").has_value());
    REQUIRE(echo_call(*f.at("a").n, "echo@b", "rotated").has_value());
}
