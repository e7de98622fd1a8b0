// Membership events: only real transitions, none at startup, no duplicates; idempotent removal.
#include "cluster/membership.hpp"

#include <atomic>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <catch2/catch.hpp>

#include "framework/timer.hpp"
#include "tests/cluster/cluster_fixture.hpp"

using namespace hearth;
using namespace hearth::cluster;
using namespace hearth::cluster::testing;
using namespace std::chrono_literals;

TEST_CASE("membership table: transitions and events", "[cluster][membership]") {
    membership m;
    auto sub = m.subscribe();
    const auto owner = m.add("b");
    CHECK(m.state("b") == node_state::unknown);
    m.connecting("b", owner);
    m.down("b", owner, "never up");  // no event: b was never up
    CHECK(m.state("b") == node_state::connecting);
    m.up("b", owner, 11, {"echo", "room"});
    m.up("b", owner, 11, {"echo", "room"});  // duplicate: no event
    CHECK(m.nodes_hosting("room") == std::vector<std::string>{"b"});
    m.up("b", owner + 99, 12, {});  // stale owner: ignored
    m.down("b", owner, "link broke");
    m.down("b", owner, "link broke again");  // no duplicate
    CHECK(m.nodes_hosting("room").empty());
    m.up("b", owner, 12, {"echo"});
    m.left("b", owner, "bye");
    m.down("b", owner, "closed after leave");  // left stays left
    CHECK(m.state("b") == node_state::left);
    CHECK(m.remove("b"));
    CHECK_FALSE(m.remove("b"));
    CHECK_FALSE(m.remove("never-added"));
    std::vector<membership_event_kind> kinds;
    while (auto e = sub->try_next()) kinds.push_back(e->kind);
    using k = membership_event_kind;
    CHECK(kinds == std::vector<k>{k::node_up, k::node_down, k::node_up, k::node_left, k::node_removed});
}

TEST_CASE("subscribers co_await events on their own executor", "[cluster][membership]") {
    fixture f;
    f.add("a");
    f.add("b");
    auto cfg = f.config();
    auto& ac = *f.at("a").c;
    auto sub = ac.members().subscribe();
    f.start("a", cfg);
    auto got = std::async(std::launch::async, [&] {
        return run_on(*f.at("a").n, 1,
                      [sub]() -> awaitable<membership_event> { co_return co_await sub->next(); });
    });
    f.start("b", cfg);
    auto e = got.get();
    CHECK(e.kind == membership_event_kind::node_up);
    CHECK(e.node == "b");
}

namespace {

// Waits for up to `rounds` events, each with `next() || timer`; counts events and timeouts.
awaitable<std::pair<int, int>> wait_rounds(std::shared_ptr<subscription> sub, int rounds,
                                           std::chrono::microseconds each) {
    using namespace asio::experimental::awaitable_operators;
    auto ex = co_await asio::this_coro::executor;
    int events = 0, timeouts = 0;
    for (int i = 0; i < rounds; ++i) {
        asio::steady_timer t(ex);
        t.expires_after(each);
        auto r = co_await (sub->next() || t.async_wait(asio::use_awaitable));
        if (r.index() == 0) {
            CHECK(std::get<0>(r).node == "n" + std::to_string(events));
            ++events;
        } else {
            ++timeouts;
        }
    }
    co_return std::make_pair(events, timeouts);
}

}  // namespace

TEST_CASE("next() cancelled through an awaitable operator: no corruption, no lost event",
          "[cluster][membership]") {
    // Used to double-free (GCC 12 destroyed the initiation closure of a co_await expression
    // twice); the sanitizer build checks it.
    asio::io_context ctx(1);
    auto sub = std::make_shared<subscription>();
    constexpr int pushed = 300;
    std::atomic<bool> done{false};
    std::pair<int, int> got{};
    asio::co_spawn(ctx, wait_rounds(sub, 2000, 50us), [&](std::exception_ptr e, std::pair<int, int> r) {
        CHECK_FALSE(e);
        got = r;
        done = true;
    });
    // Events pushed from another thread while waits are being cancelled by their timers.
    std::thread pusher([&] {
        for (int i = 0; i < pushed; ++i) {
            membership_event e;
            e.node = "n" + std::to_string(i);
            sub->push(e);
            std::this_thread::sleep_for(20us);
        }
    });
    ctx.run();
    pusher.join();
    CHECK(done);
    CHECK(got.first + got.second == 2000);
    // Every event is either received or still queued, in order: none lost to a cancellation.
    int received = got.first;
    while (auto e = sub->try_next()) {
        CHECK(e->node == "n" + std::to_string(received));
        ++received;
    }
    CHECK(received == pushed);

    // Only timeouts: every wait is cancelled while nothing is queued.
    asio::io_context ctx2(1);
    auto empty = std::make_shared<subscription>();
    asio::co_spawn(ctx2, wait_rounds(empty, 200, 10us), [&](std::exception_ptr e, std::pair<int, int> r) {
        CHECK_FALSE(e);
        CHECK(r.first == 0);
        CHECK(r.second == 200);
    });
    ctx2.run();
}

TEST_CASE("exactly one up and one down per real transition, none at startup", "[cluster][membership]") {
    fixture f;
    f.add("a");
    auto& b = f.add("b");
    const auto b_port = b.port;
    auto cfg = f.config();
    cfg.nodes["never"] = endpoint{"127.0.0.1", dead_port()};
    cfg.nodes["offline"] = std::nullopt;
    auto& ac = *f.at("a").c;
    auto sub = ac.members().subscribe();
    f.start("a", cfg);
    f.start("b", cfg);
    REQUIRE(wait_event(*sub, membership_event_kind::node_up, "b"));
    // "never" fails to connect several times: still no event about it.
    REQUIRE(hearth::testing::eventually([&] { return ac.stats("never")->connect_attempts >= 3; }));
    f.kill("b");
    REQUIRE(wait_event(*sub, membership_event_kind::node_down, "b"));
    f.add("b", b_port);
    f.start("b", cfg);
    REQUIRE(wait_event(*sub, membership_event_kind::node_up, "b"));
    REQUIRE(echo_call(*f.at("a").n, "echo@b", "x").has_value());
    CHECK(sub->pending() == 0);
    CHECK(ac.members().event_count(membership_event_kind::node_up) == 2);
    CHECK(ac.members().event_count(membership_event_kind::node_down) == 1);
    CHECK(ac.members().state("never") == node_state::connecting);
    CHECK(ac.members().state("offline") == node_state::unknown);
}

TEST_CASE("a graceful stop announces leave: peers see left, not down", "[cluster][membership]") {
    fixture f;
    f.add("a");
    f.add("b");
    auto cfg = f.config();
    auto& ac = *f.at("a").c;
    auto sub = ac.members().subscribe();
    f.start("a", cfg);
    f.start("b", cfg);
    REQUIRE(wait_event(*sub, membership_event_kind::node_up, "b"));
    // `left` is learned from the leave frame on this node's own link to b; `node_up` can come
    // from b's link to us first, so wait for ours before b stops.
    REQUIRE(wait_sender_up(ac, "b"));
    auto report = f.at("b").n->stop();
    CHECK(report.ok());
    REQUIRE(wait_event(*sub, membership_event_kind::node_left, "b"));
    CHECK(ac.members().state("b") == node_state::left);
    CHECK(ac.members().event_count(membership_event_kind::node_down) == 0);
    auto r = echo_call(*f.at("a").n, "echo@b", "x");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.code() == rpc::errc::unreachable);
}

TEST_CASE("removal is idempotent: twice, concurrently, while connecting", "[cluster][membership]") {
    fixture f;
    f.add("a");
    f.add("b");
    auto cfg = f.config();
    cfg.nodes["c"] = endpoint{"127.0.0.1", dead_port()};  // forever connecting
    auto& ac = *f.at("a").c;
    auto sub = ac.members().subscribe();
    f.start("a", cfg);
    f.start("b", cfg);
    REQUIRE(wait_up(ac, "b"));

    auto without = cfg;
    without.nodes.erase("b");
    without.nodes.erase("c");
    std::vector<std::thread> threads;
    std::atomic<int> applied{0};
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            auto d = ac.reload(without);
            if (d && !d->removed.empty()) ++applied;
        });
    for (auto& t : threads) t.join();
    CHECK(applied == 1);
    auto again = ac.reload(without);
    REQUIRE(again.has_value());
    CHECK(again->empty());
    CHECK(ac.members().remove("b") == false);
    CHECK(ac.members().event_count(membership_event_kind::node_removed) == 2);
    CHECK(ac.members().state("b") == node_state::removed);
    CHECK(ac.members().state("c") == node_state::removed);
    CHECK_FALSE(ac.stats("c").has_value());
    auto r = echo_call(*f.at("a").n, "echo@b", "x");
    CHECK(r.code() == rpc::errc::unreachable);
}
