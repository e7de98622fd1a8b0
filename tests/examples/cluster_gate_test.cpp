// A client request through a gate on one node to a backend service on another node, a push
// back to the client, and backend failover: the backend node goes away, requests get
// `unavailable`, another node starts hosting the service, requests succeed again.

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "cluster/cluster.hpp"
#include "framework/timer.hpp"
#include "session/gate.hpp"
#include "session/ref.hpp"
#include "tests/cluster/cluster_fixture.hpp"
#include "tests/session/order_probe.hpp"
#include "tests/session/test_client.hpp"

using namespace std::chrono_literals;
using namespace hearth::cluster;
using namespace hearth::cluster::testing;
using hearth::testing::test_client;
using nlohmann::json;
namespace session = hearth::session;

namespace {

inline constexpr hearth::rpc::method<json, json> hello{"game.hello"};

// "game.hello": pushes "onHello" {"node": ...} to the calling session, then answers with the
// node's name.
class game_service : public hearth::service {
  public:
    game_service() { handle(hello, &game_service::on_hello); }

  private:
    hearth::awaitable<hearth::result<json>> on_hello(const hearth::call_context& ctx, json) {
        auto s = session::ref::from(ctx);
        if (!s) co_return hearth::app_error("no_session", "clients only");
        json body;
        body["node"] = node().name();
        s->push("onHello", body);
        co_return body;
    }
};

}  // namespace

TEST_CASE("cluster gate: a client request reaches a backend on another node; failover to another node") {
    fixture f;
    auto& gate_node = f.add("gate-1");
    auto& game1 = f.add("game-1");
    auto& game2 = f.add("game-2");
    session::gate_options o;
    o.host = "127.0.0.1";
    o.tcp_port = 0;
    o.ws_port = -1;
    o.request_timeout = 2000ms;
    auto& g = gate_node.n->add_service<session::gate>("gate", o);
    game1.n->add_service<game_service>("game");
    game2.n->add_service<game_service>("game");

    const auto cfg = f.config();
    auto events = gate_node.c->members().subscribe();
    f.start("gate-1", cfg);
    f.start("game-1", cfg);
    REQUIRE(g.wait_listening(5s));
    REQUIRE(wait_event(*events, membership_event_kind::node_up, "game-1"));

    test_client c(test_client::kind::tcp, g.tcp_port());
    REQUIRE(c.handshake()["code"] == 200);
    std::uint64_t id = 1;
    c.request(id, "game.hello", json::object());
    // The push the handler sent before returning arrives before the Response.
    auto push = hearth::testing::next_event(c);
    REQUIRE(push);
    REQUIRE(push->type == hearth::testing::client_event::kind::push);
    CHECK(push->route == "onHello");
    CHECK(push->body["node"] == "game-1");
    auto r = c.next_response();
    REQUIRE(r);
    CHECK_FALSE(r->error);
    CHECK(r->id == id);
    CHECK(r->body["node"] == "game-1");

    // The backend goes away (crash-like): requests get `unavailable`, promptly.
    f.kill("game-1");
    REQUIRE(wait_event(*events, membership_event_kind::node_down, "game-1"));
    for (int i = 0; i < 3; ++i) {
        c.request(++id, "game.hello", json::object());
        auto e = c.next_response();
        REQUIRE(e);
        CHECK(e->id == id);
        CHECK(e->error);
        CHECK(e->body["code"] == "unavailable");
    }

    // Another node starts hosting "game": the next request goes there.
    f.start("game-2", cfg);
    REQUIRE(wait_event(*events, membership_event_kind::node_up, "game-2"));
    c.request(++id, "game.hello", json::object());
    auto ok = c.next_response();
    REQUIRE(ok);
    CHECK_FALSE(ok->error);
    CHECK(ok->body["node"] == "game-2");
    auto push2 = c.next_push();
    REQUIRE(push2);
    CHECK(push2->body["node"] == "game-2");
}

namespace {

// A gate node and a backend node, two workers each; "order" (order_probe.hpp) on the backend.
struct two_nodes {
    fixture f;
    session::gate* g = nullptr;
    two_nodes() {
        auto& gate_node = f.add("gate-1");
        auto& game = f.add("game-1");
        session::gate_options o;
        o.host = "127.0.0.1";
        o.tcp_port = 0;
        o.ws_port = -1;
        o.request_timeout = 5000ms;
        g = &gate_node.n->add_service<session::gate>("gate", o);
        game.n->add_service<hearth::testing::order_service>("order");
        const auto cfg = f.config();
        auto events = gate_node.c->members().subscribe();
        f.start("gate-1", cfg);
        f.start("game-1", cfg);
        REQUIRE(g->wait_listening(5s));
        REQUIRE(wait_event(*events, membership_event_kind::node_up, "game-1"));
    }
    std::unique_ptr<test_client> client() {
        auto c = std::make_unique<test_client>(test_client::kind::tcp, g->tcp_port());
        REQUIRE(c->handshake()["code"] == 200);
        return c;
    }
};

}  // namespace

TEST_CASE("cluster gate: a handler on another node: its pushes reach the client before its Response",
          "[order]") {
    two_nodes t;
    // 4 clients x 50 joins, sessions on both gate workers; 4 pushes (ref::push and group
    // broadcast alternating) before each Response, in index order.
    int early = 0;
    for (int i = 0; i < 4; ++i) {
        auto c = t.client();
        const int r = hearth::testing::count_responses_first(*c, 50, 4, 1 + i * 1000);
        REQUIRE(r >= 0);
        early += r;
    }
    CHECK(early == 0);

    // An error Response comes after the pushes too, with the handler's own code.
    auto c = t.client();
    for (int k = 0; k < 20; ++k) {
        json req;
        req["tag"] = k;
        req["n"] = 2;
        req["fail"] = true;
        c->request(static_cast<std::uint64_t>(k + 1), "order.join", req);
        for (int i = 0; i < 2; ++i) {
            auto e = hearth::testing::next_event(*c);
            REQUIRE(e);
            REQUIRE(e->type == hearth::testing::client_event::kind::push);
            CHECK(e->body["i"] == i);
        }
        auto e = hearth::testing::next_event(*c);
        REQUIRE(e);
        REQUIRE(e->type == hearth::testing::client_event::kind::response);
        CHECK(e->error);
        CHECK(e->body["code"] == "refused");
        CHECK(e->body["message"] == "refused after the pushes");
    }
}

TEST_CASE("cluster gate: a handler on another node: pushes, then a kick, never the Response first",
          "[order]") {
    using hearth::testing::client_event;
    two_nodes t;
    int wrong = 0;
    for (int i = 0; i < 20; ++i) {
        auto c = t.client();
        json req;
        req["tag"] = i;
        req["n"] = 3;
        c->request(1, "order.kick", req);
        std::vector<client_event> seen;
        while (auto e = hearth::testing::next_event(*c)) {
            seen.push_back(*e);
            if (e->type == client_event::kind::kick) break;
        }
        REQUIRE(!seen.empty());
        REQUIRE(seen.back().type == client_event::kind::kick);
        bool in_order = seen.size() == 4;
        for (std::size_t k = 0; in_order && k + 1 < seen.size(); ++k)
            in_order = seen[k].type == client_event::kind::push && seen[k].body["i"] == static_cast<int>(k);
        if (!in_order) ++wrong;
    }
    CHECK(wrong == 0);
}

TEST_CASE("cluster gate: a handler on another node: bind and data are in place at its Response", "[order]") {
    two_nodes t;
    auto c = t.client();
    for (int tag = 1; tag <= 30; ++tag) {
        json req;
        req["tag"] = tag;
        c->request(1, "order.data", req);
        auto r = c->next_response();
        REQUIRE(r);
        REQUIRE_FALSE(r->error);
        c->request(2, "order.check", json::object());
        auto check = c->next_response();
        REQUIRE(check);
        REQUIRE_FALSE(check->error);
        CHECK(check->body["uid"] == "u-" + std::to_string(tag));
        CHECK(check->body["tag"] == tag);
    }
}

namespace {

inline constexpr hearth::rpc::method<json, json> whoami{"pusher.whoami"};
inline constexpr hearth::rpc::method<json, json> push_to{"pusher.push"};
inline constexpr hearth::rpc::method<json, json> relay_via{"relay.via"};
inline constexpr hearth::rpc::method<json, json> relay_join{"relay.join"};

// "pusher.whoami": answers the calling session's id. "pusher.push" {session}: pushes
// "onRelay" to that session of "gate@gate-1" (a plain service call, no client origin).
class pusher_service : public hearth::service {
  public:
    pusher_service() {
        handle(whoami, &pusher_service::on_whoami);
        handle(push_to, &pusher_service::on_push);
    }

  private:
    hearth::awaitable<hearth::result<json>> on_whoami(const hearth::call_context& ctx, json) {
        if (!ctx.client) co_return hearth::app_error("no_session", "clients only");
        json out;
        out["session"] = ctx.client->session_id;
        co_return out;
    }
    hearth::awaitable<hearth::result<json>> on_push(json req) {
        session::ref s("gate-1", req.at("session").get<std::uint64_t>());
        s.push("onRelay", json::object());
        co_return json::object();
    }
};

// "relay.via" {session}: calls pusher.push@game-1 for that session and waits for it, then
// answers {"node": <this node>}. Its own node sends nothing to the gate.
class relay_service : public hearth::service {
  public:
    relay_service() {
        handle(relay_via, &relay_service::on_via);
        handle(relay_join, &relay_service::on_join);
    }

  private:
    // "relay.join" {tag, n}: order.join@game-1 carrying the client's origin (that handler
    // pushes to the client), then answers what it answered.
    hearth::awaitable<hearth::result<json>> on_join(const hearth::call_context& ctx, json req) {
        hearth::call_context forwarded = ctx;
        auto joined = co_await hearth::call(hearth::testing::order_join, "order@game-1", req,
                                            std::chrono::milliseconds(3000), std::move(forwarded));
        if (!joined) co_return std::move(joined).error();
        co_return std::move(*joined);
    }
    hearth::awaitable<hearth::result<json>> on_via(json req) {
        json inner;
        inner["session"] = req.at("session");
        auto pushed = co_await call(push_to, "pusher@game-1", inner, std::chrono::milliseconds(3000));
        if (!pushed) co_return std::move(pushed).error();
        json out;
        out["node"] = node().name();
        co_return out;
    }
};

std::uint64_t replies_via_gate(hearth::node& n) {
    const std::string text = n.metrics().render();
    const std::string name = "\nhearth_client_replies_via_gate_total ";
    const auto pos = text.find(name);
    REQUIRE(pos != std::string::npos);
    return std::stoull(text.substr(pos + name.size()));
}

}  // namespace

TEST_CASE("cluster gate: nodes in one process keep their own client reply route and count", "[order]") {
    // game-1 pushes to the client while a handler of game-2 (same process) runs for that client:
    // game-2's reply must take the usual path, since game-2 itself sent nothing to the gate.
    fixture f;
    auto& gate_node = f.add("gate-1");
    auto& game1 = f.add("game-1");
    auto& game2 = f.add("game-2");
    session::gate_options o;
    o.host = "127.0.0.1";
    o.tcp_port = 0;
    o.ws_port = -1;
    o.request_timeout = 5000ms;
    auto& g = gate_node.n->add_service<session::gate>("gate", o);
    game1.n->add_service<pusher_service>("pusher");
    game1.n->add_service<hearth::testing::order_service>("order");
    game2.n->add_service<relay_service>("relay");
    const auto cfg = f.config();
    auto events = gate_node.c->members().subscribe();
    // One subscription per awaited event: wait_event drops what it passes over.
    auto events2 = gate_node.c->members().subscribe();
    auto game2_events = game2.c->members().subscribe();
    f.start("gate-1", cfg);
    f.start("game-1", cfg);
    f.start("game-2", cfg);
    REQUIRE(g.wait_listening(5s));
    REQUIRE(wait_event(*events, membership_event_kind::node_up, "game-1"));
    REQUIRE(wait_event(*events2, membership_event_kind::node_up, "game-2"));
    REQUIRE(wait_event(*game2_events, membership_event_kind::node_up, "game-1"));

    test_client c(test_client::kind::tcp, g.tcp_port());
    REQUIRE(c.handshake()["code"] == 200);
    c.request(1, "pusher.whoami", json::object());
    auto me = c.next_response();
    REQUIRE(me);
    REQUIRE_FALSE(me->error);
    const auto session_id = me->body["session"].get<std::uint64_t>();

    for (std::uint64_t k = 0; k < 10; ++k) {
        json req;
        req["session"] = session_id;
        c.request(k + 2, "relay.via", req);
        bool pushed = false, answered = false;
        while (!pushed || !answered) {
            auto e = hearth::testing::next_event(c);
            REQUIRE(e);
            if (e->type == hearth::testing::client_event::kind::push) {
                CHECK(e->route == "onRelay");
                pushed = true;
            } else {
                REQUIRE(e->type == hearth::testing::client_event::kind::response);
                CHECK_FALSE(e->error);
                CHECK(e->id == k + 2);
                CHECK(e->body["node"] == "game-2");
                answered = true;
            }
        }
    }
    // game-1 counted its pushes and has the route; game-2 has neither and rerouted nothing.
    CHECK(game1.n->remote_client_effects() == 10);  // one push per relay
    CHECK(game1.n->current_client_reply_route() != nullptr);
    CHECK(game2.n->remote_client_effects() == 0);
    CHECK(game2.n->current_client_reply_route() == nullptr);
    CHECK(replies_via_gate(*game2.n) == 0);
    CHECK(replies_via_gate(*game1.n) == 0);  // pusher.push was a call from game-2, not from the gate

    // A nested call from game-2 that carries the client's origin: game-1 pushes, but its reply
    // goes back to game-2 (its caller), not through the gate.
    for (int k = 0; k < 5; ++k) {
        json req;
        req["tag"] = 50 + k;
        req["n"] = 2;
        c.request(static_cast<std::uint64_t>(50 + k), "relay.join", req);
        int pushes = 0;
        bool answered = false;
        while (pushes < 2 || !answered) {
            auto e = hearth::testing::next_event(c);
            REQUIRE(e);
            if (e->type == hearth::testing::client_event::kind::push) {
                ++pushes;
            } else {
                REQUIRE(e->type == hearth::testing::client_event::kind::response);
                REQUIRE_FALSE(e->error);
                CHECK(e->body["tag"] == 50 + k);
                answered = true;
            }
        }
    }
    CHECK(replies_via_gate(*game1.n) == 0);

    // game-1's own client handlers that push do take the gate path, each one.
    REQUIRE(hearth::testing::count_responses_first(c, 5, 2, 100) == 0);
    CHECK(replies_via_gate(*game1.n) == 5);
    CHECK(replies_via_gate(*game2.n) == 0);
    CHECK(replies_via_gate(*gate_node.n) == 0);
}

namespace {

inline constexpr hearth::rpc::method<json, json> ticks_start{"ticks.start"};

// "ticks.start" {count}: pushes "onTick" {"i": 0..count-1} to the calling session from the
// backend node, one every 2 ms, from a task that outlives the request; counts session_closed.
class ticks_service : public hearth::service {
  public:
    std::atomic<int> pushed{0};
    std::atomic<int> closed_events{0};
    ticks_service() {
        handle(ticks_start, &ticks_service::on_ticks_start);
        handle(session::closed, &ticks_service::on_closed);
    }

  private:
    hearth::awaitable<hearth::result<json>> on_ticks_start(const hearth::call_context& ctx, json req) {
        auto s = session::ref::from(ctx);
        if (!s) co_return hearth::app_error("no_session", "clients only");
        auto ex = co_await boost::asio::this_coro::executor;
        boost::asio::co_spawn(ex, run(*s, req.value("count", 10)), boost::asio::detached);
        co_return json::object();
    }
    hearth::awaitable<void> run(session::ref s, int count) {
        for (int i = 0; i < count; ++i) {
            s.push("onTick", json{{"i", i}});
            pushed.fetch_add(1);
            co_await hearth::sleep(2ms);
        }
    }
    hearth::awaitable<void> on_closed(session::session_closed) {
        closed_events.fetch_add(1);
        co_return;
    }
};

}  // namespace

TEST_CASE("cluster gate: a room on another node keeps pushing to a parked session; the resume gets it all",
          "[resume]") {
    fixture f;
    auto& gate_node = f.add("gate-1");
    auto& game = f.add("game-1");
    session::gate_options o;
    o.host = "127.0.0.1";
    o.tcp_port = 0;
    o.ws_port = -1;
    o.resume.enabled = true;
    o.resume.grace = 10s;
    auto* g = &gate_node.n->add_service<session::gate>("gate", o);
    auto* ticks = &game.n->add_service<ticks_service>("ticks");
    const auto cfg = f.config();
    auto events = gate_node.c->members().subscribe();
    f.start("gate-1", cfg);
    f.start("game-1", cfg);
    REQUIRE(g->wait_listening(5s));
    REQUIRE(wait_event(*events, membership_event_kind::node_up, "game-1"));

    constexpr int count = 300;
    std::vector<int> seen;
    std::uint64_t received = 0;
    auto read = [&](test_client& c) {
        auto p = c.next(5s);
        REQUIRE(p);
        if (p->type != session::packet_type::data) return;
        session::message m;
        REQUIRE_FALSE(session::decode_message(p->body, nullptr, m));
        ++received;
        if (m.type == session::message_type::push) seen.push_back(json::parse(m.payload)["i"].get<int>());
    };
    auto c = std::make_unique<test_client>(test_client::kind::tcp, g->tcp_port());
    const std::string token = c->handshake()["sys"]["resume"]["token"];
    c->request(1, "ticks.start", json{{"count", count}});
    while (seen.size() < 50) read(*c);
    c->close();
    c.reset();
    REQUIRE(hearth::testing::eventually([&] { return g->parked_count() == 1; }, 5s));
    // The backend goes on pushing to the parked session: wait until it pushed some more.
    const int at_park = ticks->pushed.load();
    REQUIRE(hearth::testing::eventually([&] { return ticks->pushed.load() >= at_park + 50; }, 5s));
    test_client d(test_client::kind::tcp, g->tcp_port());
    auto hs = d.handshake(json::object(), json{{"resume", {{"token", token}, {"received", received}}}});
    REQUIRE(hs["sys"]["resume"]["resumed"] == true);
    while (seen.size() < static_cast<std::size_t>(count)) read(d);
    for (int i = 0; i < count; ++i) REQUIRE(seen[static_cast<std::size_t>(i)] == i);
    CHECK(ticks->closed_events.load() == 0);
}
