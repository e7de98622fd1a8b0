// The acceptor side: handshake failures (wrong secret, cluster, target, garbage) and
// misaddressed frames, all of which are counted and survived.
#include "cluster/agent.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "cluster/handshake.hpp"
#include "framework/call.hpp"
#include "framework/metrics.hpp"
#include "tests/cluster/cluster_fixture.hpp"
#include "tests/cluster/raw_peer.hpp"
#include "tests/framework/harness.hpp"

using namespace hearth;
using namespace hearth::cluster;
using namespace hearth::cluster::testing;
using namespace std::chrono_literals;
namespace net = boost::asio;
using net::ip::tcp;

namespace {

/// Starts node "a" of `f` with "x" (the raw peer's name) known but offline, and connects a
/// raw peer to it as "x"; returns the peer and a's incarnation.
std::pair<std::unique_ptr<raw_peer>, std::uint64_t> start_with_raw_peer(fixture& f) {
    auto cfg = f.config();
    cfg.nodes["x"] = std::nullopt;
    f.start("a", cfg);
    auto p = std::make_unique<raw_peer>(f.at("a").port);
    auto r = p->handshake(cfg, "x", "a");
    REQUIRE(std::holds_alternative<std::uint64_t>(r));
    return {std::move(p), std::get<std::uint64_t>(r)};
}

}  // namespace

TEST_CASE("handshake failures are rejected, counted, and the node carries on", "[cluster][agent]") {
    fixture f;
    f.add("a");
    auto cfg = f.config();
    cfg.nodes["x"] = std::nullopt;  // the raw peer's identity
    f.start("a", cfg);
    auto& ac = *f.at("a").c;
    const auto port = f.at("a").port;

    {
        raw_peer p(port);
        auto wrong_secret = cfg;
        wrong_secret.secret = "nope";
        auto r = p.handshake(wrong_secret, "x", "a");
        REQUIRE(std::holds_alternative<hearth::cluster::errc>(r));
        CHECK(std::get<hearth::cluster::errc>(r) == hearth::cluster::errc::bad_signature);
        CHECK(p.closed_by_peer());
    }
    {
        raw_peer p(port);
        auto wrong_cluster = cfg;
        wrong_cluster.cluster = "other";
        auto r = p.handshake(wrong_cluster, "x", "a");
        CHECK(std::get<hearth::cluster::errc>(r) == hearth::cluster::errc::wrong_cluster);
    }
    {
        raw_peer p(port);
        auto r = p.handshake(cfg, "x", "someone-else");
        CHECK(std::get<hearth::cluster::errc>(r) == hearth::cluster::errc::wrong_target);
    }
    {
        raw_peer p(port);
        auto r = p.handshake(cfg, "stranger", "a");
        CHECK(std::get<hearth::cluster::errc>(r) == hearth::cluster::errc::unknown_node);
    }
    {
        raw_peer p(port);
        p.write(std::string("\xff\xff\xff\xff garbage garbage garbage", 28));
        CHECK(p.closed_by_peer());
    }
    {
        raw_peer p(port);
        (void)p.read();                                       // the challenge
        p.write(std::string("\x00\x00\x00\x05\x63????", 9));  // unknown frame type
        CHECK(p.closed_by_peer());
    }
    CHECK(ac.handshake_failures() >= 6);
    // The node still serves: a good peer links and calls.
    f.add("b");
    auto full = f.config();
    full.nodes["x"] = std::nullopt;
    REQUIRE(ac.reload(full).has_value());
    f.start("b", full);
    REQUIRE(wait_up(ac, "b"));
    REQUIRE(echo_call(*f.at("a").n, "echo@b", "fine").has_value());
}

TEST_CASE("a connector with the wrong secret never comes up and keeps backing off", "[cluster][agent]") {
    fixture f;
    f.add("a");
    f.add("b");
    auto cfg = f.config();
    auto b_cfg = cfg;
    b_cfg.secret = "different";
    f.start("a", cfg);
    f.start("b", b_cfg);
    auto& bc = *f.at("b").c;
    REQUIRE(hearth::testing::eventually([&] { return bc.stats("a")->connect_attempts >= 3; }));
    CHECK(bc.members().state("a") == node_state::connecting);
    CHECK(bc.stats("a")->last_failure.find("bad_signature") != std::string::npos);
    CHECK(f.at("a").c->handshake_failures() >= 2);
}

TEST_CASE("frames for another node or an old incarnation are dropped and counted", "[cluster][agent]") {
    fixture f;
    f.add("a");
    auto& ac = *f.at("a").c;
    auto [peer, incarnation] = start_with_raw_peer(f);
    auto& p = *peer;

    p.send_call("a", incarnation ^ 1, 1);  // an old incarnation
    p.send_call("zzz", incarnation, 2);    // another node
    p.send_call("a", incarnation, 3);      // correct: answered
    for (;;) {
        auto fr = p.read();
        REQUIRE(fr);
        if (auto* rep = std::get_if<reply_frame>(&*fr)) {
            CHECK(rep->call_id == 3);
            CHECK_FALSE(rep->status.has_value());
            break;
        }
    }
    CHECK(ac.misaddressed_frames() == 2);
}

TEST_CASE("one read carrying many frames: every call answered once, in order per service",
          "[cluster][agent]") {
    // The agent hands the requests of one read to the node in batches, one per run of frames
    // for the same service, flushing before anything else. A single write of mixed frames
    // exercises every cut: service changes, a heartbeat, a misaddressed call, an unknown
    // service, and a notify among the calls.
    fixture f;
    f.add("a");
    f.at("a").n->add_service<hearth::testing::echo_service>("echo2");
    auto& ac = *f.at("a").c;
    auto [peer, incarnation] = start_with_raw_peer(f);
    auto& p = *peer;

    std::string out;
    std::vector<std::string> payloads;
    for (int i = 0; i < 200; ++i)
        payloads.push_back(R"({"text":"m)" + std::to_string(i) + R"(","n":)" + std::to_string(i) + "}");
    auto add_call = [&](std::string_view target, std::uint64_t inc, std::string_view service,
                        std::uint64_t id, std::string_view payload) {
        call_frame c;
        c.target_node = target;
        c.target_incarnation = inc;
        c.source_service = "lobby";
        c.target_service = service;
        c.route = "echo.echo";
        c.payload = payload;
        c.call_id = id;
        c.reply_to_worker = 0;
        REQUIRE(encode(c, out));
    };
    for (int i = 0; i < 200; ++i) {
        add_call("a", incarnation, (i / 7) % 2 ? "echo2" : "echo", static_cast<std::uint64_t>(i),
                 payloads[static_cast<std::size_t>(i)]);
        if (i == 50) {
            frame hb = heartbeat_frame{};
            REQUIRE(encode(hb, out));
        }
        if (i == 90) add_call("a", incarnation ^ 1, "echo", 1000, payloads[0]);  // old incarnation
        if (i == 120) add_call("a", incarnation, "ghost", 2000, payloads[0]);    // no such service
        if (i == 150) {
            notify_frame n;
            n.target_node = "a";
            n.target_incarnation = incarnation;
            n.target_service = "echo";
            n.route = "echo.record";
            n.payload = "7";
            REQUIRE(encode(n, out));
        }
    }
    p.write(out);

    std::map<std::uint64_t, int> answered;
    std::vector<std::uint64_t> order_echo, order_echo2;
    while (answered.size() < 201) {
        auto fr = p.read();
        REQUIRE(fr);
        auto* rep = std::get_if<reply_frame>(&*fr);
        if (!rep) continue;
        ++answered[rep->call_id];
        if (rep->call_id == 2000) {
            REQUIRE(rep->status.has_value());
            CHECK(*rep->status == hearth::rpc::errc::not_found);
            continue;
        }
        REQUIRE(rep->call_id < 200);
        REQUIRE_FALSE(rep->status.has_value());
        auto resp = hearth::rpc::decode<hearth::testing::echo_resp>(hearth::rpc::codec::json, rep->payload);
        REQUIRE(resp);
        const auto i = static_cast<int>(rep->call_id);
        CHECK(resp->n == i);
        CHECK(resp->text == "m" + std::to_string(i));
        const bool second = (i / 7) % 2;
        CHECK(resp->served_by == std::string(second ? "echo2" : "echo") + "<-lobby@x");
        (second ? order_echo2 : order_echo).push_back(rep->call_id);
    }
    for (auto [id, times] : answered) CHECK(times == 1);
    CHECK(std::is_sorted(order_echo.begin(), order_echo.end()));
    CHECK(std::is_sorted(order_echo2.begin(), order_echo2.end()));
    CHECK(answered.count(1000) == 0);
    CHECK(ac.misaddressed_frames() == 1);
    auto history = run_on(*f.at("a").n, 0, []() -> awaitable<result<std::vector<int>>> {
        co_return co_await call(hearth::testing::history_m, "echo", 0, 1s);
    });
    REQUIRE(history);
    CHECK(*history == std::vector<int>{7});  // the notify among the calls ran too
}

TEST_CASE("a call whose remaining time runs out while it waits is answered timeout, unrun",
          "[cluster][agent]") {
    // The deadline on the wire is the caller's, in its clock (here the same clock); the agent
    // turns it into the request's
    // deadline, and a serial service starts the second call only after the first (150 ms).
    fixture f;
    f.add("a");
    hearth::service_options so;
    so.name = "slow";
    so.serial = true;
    auto& slow = f.at("a").n->add_service<hearth::testing::echo_service>(so);
    auto [peer, incarnation] = start_with_raw_peer(f);
    auto& p = *peer;
    std::string out;
    // Captured by init-capture: clang 14 cannot capture a structured binding (C++20 allows it).
    auto add_wait = [&, incarnation = incarnation](std::uint64_t id, std::string_view payload,
                                                   std::uint32_t deadline_ms) {
        call_frame c;
        c.target_node = "a";
        c.target_incarnation = incarnation;
        c.target_service = "slow";
        c.route = hearth::testing::wait_m.route;
        c.payload = payload;
        if (deadline_ms != 0)
            c.deadline = hearth::cluster::detail::wire_time(std::chrono::steady_clock::now() +
                                                            std::chrono::milliseconds(deadline_ms));
        c.call_id = id;
        REQUIRE(encode(c, out));
    };
    add_wait(1, R"({"ms":150,"tag":1})", 0);  // no deadline
    add_wait(2, R"({"ms":0,"tag":2})", 20);   // 20 ms left: gone before the first ends
    add_wait(3, R"({"ms":0,"tag":3})", 5000);
    p.write(out);
    std::map<std::uint64_t, std::optional<hearth::rpc::errc>> status;
    while (status.size() < 3) {
        auto fr = p.read();
        REQUIRE(fr);
        if (auto* rep = std::get_if<reply_frame>(&*fr)) status[rep->call_id] = rep->status;
    }
    CHECK_FALSE(status[1].has_value());
    REQUIRE(status[2].has_value());
    CHECK(*status[2] == hearth::rpc::errc::timeout);
    CHECK_FALSE(status[3].has_value());
    auto finished = run_on(*f.at("a").n, slow.home().index(),
                           [&slow]() -> awaitable<std::vector<int>> { co_return slow.finished; });
    CHECK(finished == std::vector<int>{1, 3});  // call 2 never ran
}

TEST_CASE("the agent's frames-out counter counts frames, not writes", "[cluster][agent]") {
    // One worker serves the link and the echo service, so the replies to one read of calls
    // pile up while the writer waits for its wake-up and leave in a few writes of many frames.
    // A long heartbeat keeps heartbeats out of the count: every frame written after the welcome
    // is one of the replies.
    fixture f;
    f.add("a", 0, fast_options(), 1);
    auto cfg = f.config(5000ms);
    cfg.nodes["x"] = std::nullopt;
    f.start("a", cfg);
    raw_peer p(f.at("a").port);
    const auto welcome = p.handshake(cfg, "x", "a");
    REQUIRE(std::holds_alternative<std::uint64_t>(welcome));
    const auto incarnation = std::get<std::uint64_t>(welcome);
    auto& frames_out = f.at("a").n->metrics().counter("hearth_cluster_agent_frames_out_total", "", {});
    REQUIRE(frames_out.value() == 0);  // the handshake's frames are not the writer's

    constexpr std::uint64_t calls = 100;
    std::string out;
    for (std::uint64_t id = 1; id <= calls; ++id) {
        call_frame c;
        c.target_node = "a";
        c.target_incarnation = incarnation;
        c.target_service = "echo";
        c.route = "echo.echo";
        c.payload = R"({"text":"hi","n":1})";
        c.call_id = id;
        REQUIRE(encode(c, out));
    }
    p.write(out);
    std::uint64_t frames_read = 0, replies = 0;
    while (replies < calls) {
        auto fr = p.read();
        REQUIRE(fr);
        ++frames_read;
        if (std::holds_alternative<reply_frame>(*fr)) ++replies;
    }
    CHECK(frames_read == calls);
    // The counter moves once the write completes, which may be just after the peer read it.
    CHECK(hearth::testing::eventually([&] { return frames_out.value() >= frames_read; }, 2s));
    CHECK(frames_out.value() == frames_read);
}
