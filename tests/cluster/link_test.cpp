// Remote calls and notifies through real sender/agent links: every error code, payloads near
// the frame limit, ordering.
#include "cluster/cluster.hpp"

#include <future>

#include <catch2/catch.hpp>

#include "cluster/sender.hpp"
#include "framework/metrics.hpp"
#include "framework/timer.hpp"
#include "tests/cluster/cluster_fixture.hpp"
#include "tests/support/failing_random.hpp"

using namespace hearth;
using namespace hearth::cluster;
using namespace hearth::cluster::testing;
using namespace std::chrono_literals;
using hearth::testing::echo_req;
using hearth::testing::echo_resp;

TEST_CASE("remote calls succeed and carry every error code intact", "[cluster][link]") {
    fixture f;
    f.add("a");
    f.add("b");
    auto cfg = f.config();
    f.start("a", cfg);
    f.start("b", cfg);
    auto& a = *f.at("a").n;
    REQUIRE(wait_up(*f.at("a").c, "b"));

    auto ok = echo_call(a, "echo@b", "hello");
    REQUIRE(ok.has_value());
    CHECK(ok->text == "hello");
    CHECK(ok->n == 7);
    CHECK(ok->served_by == "echo");

    auto check = [&](const rpc::method<echo_req, echo_resp>& m, const std::string& addr) {
        return run_on(a, 0, [&m, addr]() -> awaitable<result<echo_resp>> {
            echo_req req{"x", 1};
            co_return co_await call(m, addr, req, 1s);
        });
    };
    auto failed = check(hearth::testing::fail_m, "echo@b");
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.code() == rpc::errc::handler_failed);

    auto refused = check(hearth::testing::refuse_m, "echo@b");
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.code() == rpc::errc::remote_error);
    CHECK(refused.error().app_code == "refused");
    CHECK(refused.error().message == "I refuse x.");

    CHECK(check(hearth::testing::missing_m, "echo@b").code() == rpc::errc::not_found);
    CHECK(check(hearth::testing::echo_m, "nothing@b").code() == rpc::errc::not_found);
    CHECK(check(hearth::testing::echo_m, "echo@nowhere").code() == rpc::errc::unreachable);

    auto bad = run_on(a, 0, []() -> awaitable<result<int>> {
        co_return co_await call(hearth::testing::echo_wrong_types_m, "echo@b", 5, 1s);
    });
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.code() == rpc::errc::bad_request);

    auto slow = run_on(a, 0, []() -> awaitable<result<int>> {
        hearth::testing::wait_req req{500, 1};
        co_return co_await call(hearth::testing::wait_m, "echo@b", req, 50ms);
    });
    REQUIRE_FALSE(slow.has_value());
    CHECK(slow.code() == rpc::errc::timeout);

    // The late reply of the timed-out call is dropped, never delivered twice; the link stays.
    auto again = echo_call(a, "echo@b", "after");
    REQUIRE(again.has_value());
    CHECK(again->text == "after");
}

TEST_CASE("notifies arrive in order whatever their size", "[cluster][link]") {
    fixture f;
    f.add("a");
    f.add("b");
    auto cfg = f.config();
    f.start("a", cfg);
    f.start("b", cfg);
    auto& a = *f.at("a").n;
    REQUIRE(wait_up(*f.at("a").c, "b"));
    for (int i = 0; i < 200; ++i) {
        auto r = notify(a, hearth::testing::record_m, "echo@b", i);
        REQUIRE(r.has_value());
    }
    auto history = run_on(a, 0, []() -> awaitable<result<std::vector<int>>> {
        co_return co_await call(hearth::testing::history_m, "echo@b", 0, 2s);
    });
    REQUIRE(history.has_value());
    REQUIRE(history->size() == 200);
    for (int i = 0; i < 200; ++i) CHECK((*history)[static_cast<std::size_t>(i)] == i);

    // A notify to an unknown node is refused at once.
    auto r = notify(a, hearth::testing::record_m, "echo@nowhere", 1);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.code() == rpc::errc::unreachable);
}

TEST_CASE("payloads near the frame limit pass, larger ones fail with bad_request", "[cluster][link]") {
    fixture f;
    f.add("a");
    f.add("b");
    auto cfg = f.config();
    cfg.max_frame = 256 * 1024;
    f.start("a", cfg);
    f.start("b", cfg);
    auto& a = *f.at("a").n;
    REQUIRE(wait_up(*f.at("a").c, "b"));

    std::string near(cfg.max_frame - 300, 'x');
    auto big = echo_call(a, "echo@b", near);
    REQUIRE(big.has_value());
    CHECK(big->text.size() == near.size());

    std::string over(cfg.max_frame + 10, 'y');
    auto too_big = echo_call(a, "echo@b", over);
    REQUIRE_FALSE(too_big.has_value());
    CHECK(too_big.code() == rpc::errc::bad_request);

    // Small calls behind the big ones still work: nothing lost its framing.
    CHECK(echo_call(a, "echo@b", "small").has_value());
}

TEST_CASE("a full queue answers overloaded at once; an offline node is unreachable", "[cluster][link]") {
    fixture f;
    auto o = fast_options();
    o.queue_limit = 4;
    f.add("a", 0, o);
    auto cfg = f.config();
    cfg.nodes["dead"] = endpoint{"127.0.0.1", dead_port()};
    cfg.nodes["offline"] = std::nullopt;
    f.start("a", cfg);
    auto& a = *f.at("a").n;

    auto results = run_on(a, 0, []() -> awaitable<std::vector<rpc::errc>> {
        std::vector<rpc::errc> codes;
        for (int i = 0; i < 6; ++i) {
            auto r = notify(hearth::testing::record_m, "echo@dead", i);
            codes.push_back(r ? rpc::errc{} : r.code());
        }
        auto off = notify(hearth::testing::record_m, "echo@offline", 1);
        codes.push_back(off ? rpc::errc{} : off.code());
        co_return codes;
    });
    REQUIRE(results.size() == 7);
    for (int i = 0; i < 4; ++i) CHECK(results[static_cast<std::size_t>(i)] == rpc::errc{});
    CHECK(results[4] == rpc::errc::overloaded);
    CHECK(results[5] == rpc::errc::overloaded);
    CHECK(results[6] == rpc::errc::unreachable);
}

TEST_CASE("calls queued while the peer is down go out after it comes up", "[cluster][link]") {
    fixture f;
    f.add("a");
    auto& b = f.add("b");
    auto cfg = f.config();
    f.start("a", cfg);
    auto& a = *f.at("a").n;
    // b is not running yet: the call waits in the queue, then b starts and answers it.
    auto fut = std::async(std::launch::async, [&] { return echo_call(a, "echo@b", "queued", 5000ms); });
    REQUIRE(hearth::testing::eventually([&] { return f.at("a").c->stats("b")->queued == 1; }));
    REQUIRE(b.c->start(cfg).has_value());
    b.n->start();
    auto r = fut.get();
    REQUIRE(r.has_value());
    CHECK(r->text == "queued");
}

TEST_CASE("the sender's frames-out counter counts only frames it wrote", "[cluster][link]") {
    // Calls whose callers gave up while b was down are dropped unwritten when the link comes up,
    // in the same batch as a live call: the sender counts the one frame it wrote, so its
    // frames-out equals what b's agent reads. A long heartbeat leaves the link quiet between
    // heartbeats, when the two counters can be compared.
    fixture f;
    f.add("a");
    auto& b = f.add("b");
    auto cfg = f.config(1000ms);
    f.start("a", cfg);
    auto& a = *f.at("a").n;
    constexpr int expired = 10;
    for (int i = 0; i < expired; ++i) {
        auto r = echo_call(a, "echo@b", "late", 20ms);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.code() == rpc::errc::timeout);
    }
    auto live = std::async(std::launch::async, [&] { return echo_call(a, "echo@b", "live", 5000ms); });
    REQUIRE(hearth::testing::eventually([&] { return f.at("a").c->stats("b")->queued == expired + 1; }));
    REQUIRE(b.c->start(cfg).has_value());
    b.n->start();
    auto r = live.get();
    REQUIRE(r.has_value());
    CHECK(f.at("a").c->stats("b")->expired_dropped == expired);
    auto& sent = a.metrics().counter("hearth_cluster_sender_frames_out_total", "", {{"peer", "b"}});
    auto& read = b.n->metrics().counter("hearth_cluster_agent_frames_in_total", "", {});
    CHECK(hearth::testing::eventually([&] {
        const auto s = sent.value();
        return s >= 1 && s == read.value() && s == sent.value();
    }));
}

TEST_CASE("nodes named by a host name listen on what it resolves to and dial it", "[cluster][link]") {
    // Configurations written for docker-compose or Kubernetes name nodes by service name.
    node a(hearth::testing::test_config("a", 2));
    node b(hearth::testing::test_config("b", 2));
    a.add_service<hearth::testing::echo_service>("echo");
    b.add_service<hearth::testing::echo_service>("echo");
    auto ac = hearth::cluster::cluster::create(a, fast_options());
    auto bc = hearth::cluster::cluster::create(b, fast_options());
    auto ap = ac->listen(endpoint{"localhost", 0});
    REQUIRE(ap);
    auto bp = bc->listen(endpoint{"localhost", 0});
    REQUIRE(bp);
    cluster_config cfg;
    cfg.cluster = "test";
    cfg.secret = "s3cret";
    cfg.heartbeat = 50ms;
    cfg.nodes["a"] = endpoint{"localhost", *ap};
    cfg.nodes["b"] = endpoint{"localhost", *bp};
    REQUIRE(ac->start(cfg));
    REQUIRE(bc->start(cfg));
    a.start();
    b.start();
    REQUIRE(wait_sender_up(*ac, "b"));
    REQUIRE(wait_sender_up(*bc, "a"));
    auto r = echo_call(a, "echo@b", "by name");
    REQUIRE(r.has_value());
    CHECK(r->text == "by name");
    REQUIRE(echo_call(b, "echo@a", "back").has_value());
    a.stop();
    b.stop();
}

TEST_CASE("a name that does not resolve: a clear failure, not a crash", "[cluster][link]") {
    // Listening on it fails with a sentence naming it.
    {
        node n(hearth::testing::test_config("x", 1));
        auto c = hearth::cluster::cluster::create(n, fast_options());
        auto p = c->listen(endpoint{"no-such-host.invalid", 1});
        REQUIRE_FALSE(p);
        CHECK(p.error() == hearth::cluster::errc::bad_config);
        CHECK(p.error().message.find("no-such-host.invalid") != std::string::npos);
    }
    // A peer by that name: the node starts, its sender reports why it cannot connect and keeps
    // trying; calls to it fail at their timeout; the other links are unaffected.
    fixture f;
    f.add("a");
    f.add("b");
    auto cfg = f.config();
    cfg.nodes["ghost"] = endpoint{"no-such-host.invalid", 1};
    f.start("a", cfg);
    f.start("b", cfg);
    auto& ac = *f.at("a").c;
    REQUIRE(hearth::testing::eventually([&] {
        auto s = ac.stats("ghost");
        return s && s->connect_attempts >= 2 &&
               s->last_failure.find("Cannot resolve 'no-such-host.invalid'") == 0;
    }));
    CHECK(ac.members().state("ghost") != node_state::up);
    auto r = echo_call(*f.at("a").n, "echo@ghost", "x", 200ms);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.code() == rpc::errc::timeout);
    REQUIRE(wait_sender_up(ac, "b"));
    REQUIRE(echo_call(*f.at("a").n, "echo@b", "fine").has_value());
}

TEST_CASE("a name with several addresses: a sender tries each in turn, listen binds the first that binds",
          "[cluster][link]") {
    // A name's first address refuses (nothing listens on 127.0.0.2 at the peer's port), its
    // second is where the peer listens. "refusing.test" has only the refusing address, to show
    // that the first address really refuses.
    std::atomic<int> lookups{0};
    auto o = fast_options();
    o.resolve = [&lookups](std::string_view host) -> std::vector<std::string> {
        ++lookups;
        if (host == "several.test") return {"127.0.0.2", "127.0.0.1"};
        if (host == "refusing.test") return {"127.0.0.2"};
        if (host == "unbindable.test") return {"192.0.2.1"};  // TEST-NET-1: not local
        if (host == "unbindable-first.test") return {"192.0.2.1", "127.0.0.1"};
        return {};
    };
    fixture f;
    f.add("a", 0, o);
    f.add("b", 0, o);
    auto cfg = f.config();
    const auto b_port = f.at("b").port;
    cfg.nodes["b"] = endpoint{"several.test", b_port};
    cfg.nodes["ghost"] = endpoint{"refusing.test", b_port};
    f.start("b", cfg);
    f.start("a", cfg);
    auto& ac = *f.at("a").c;
    REQUIRE(wait_sender_up(ac, "b"));
    CHECK(ac.stats("b")->connect_attempts == 1);  // both addresses in one attempt
    REQUIRE(hearth::testing::eventually([&] {
        auto s = ac.stats("ghost");
        return s && s->connect_attempts >= 1 && s->last_failure.find("127.0.0.2") != std::string::npos;
    }));
    CHECK(ac.stats("ghost")->last_failure.find("refused") != std::string::npos);
    CHECK(lookups.load() >= 2);
    auto r = echo_call(*f.at("a").n, "echo@b", "second address");
    REQUIRE(r.has_value());
    CHECK(r->text == "second address");

    // listen(): an address that cannot be bound is skipped for the next one; a name whose only
    // address cannot be bound fails with a sentence naming the address.
    node n(hearth::testing::test_config("x", 1));
    {
        auto c = hearth::cluster::cluster::create(n, o);
        auto p = c->listen(endpoint{"unbindable.test", 0});
        REQUIRE_FALSE(p);
        CHECK(p.error().message.find("192.0.2.1") != std::string::npos);
    }
    auto c = hearth::cluster::cluster::create(n, o);
    auto p = c->listen(endpoint{"unbindable-first.test", 0});
    REQUIRE(p);
    REQUIRE(*p != 0);
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket probe(io);
    boost::system::error_code ec;
    probe.connect({boost::asio::ip::make_address("127.0.0.1"), *p}, ec);
    CHECK_FALSE(ec);
    c->close();
}

TEST_CASE("a failing random generator fails handshakes with a reason; links come up once it works",
          "[cluster][link]") {
    fixture f;
    f.add("a");
    f.add("b");
    const auto cfg = f.config();
    {
        hearth::test::failing_random_guard no_random;
        f.start("a", cfg);
        f.start("b", cfg);
        // Each agent cannot draw a challenge: it rejects the attempt and counts it; the senders
        // see the reject and keep retrying after their backoff.
        REQUIRE(hearth::testing::eventually([&] {
            return f.at("a").c->handshake_failures() >= 2 && f.at("b").c->handshake_failures() >= 2;
        }));
        CHECK(f.at("a").c->members().state("b") != node_state::up);
        CHECK(f.at("b").c->members().state("a") != node_state::up);
    }
    CHECK(wait_sender_up(*f.at("a").c, "b"));
    CHECK(wait_sender_up(*f.at("b").c, "a"));
    auto r = echo_call(*f.at("a").n, "echo@b", "after");
    REQUIRE(r.has_value());
    CHECK(r->text == "after");
}
