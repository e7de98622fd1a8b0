// A client request through a gate on one node to a backend service on another node, a push
// back to the client, and backend failover: the backend node goes away, requests get
// `unavailable`, another node starts hosting the service, requests succeed again.

#include <catch2/catch.hpp>

#include "cluster/cluster.hpp"
#include "session/gate.hpp"
#include "session/ref.hpp"
#include "tests/cluster/cluster_fixture.hpp"
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
        (void)s->push("onHello", body);
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
    // The response and the push travel different paths (reply vs gate.push): either may come
    // first; next_response() keeps pushes that arrive before it.
    auto r = c.next_response();
    REQUIRE(r);
    CHECK_FALSE(r->error);
    CHECK(r->id == id);
    CHECK(r->body["node"] == "game-1");
    auto push = c.next_push();
    REQUIRE(push);
    CHECK(push->route == "onHello");
    CHECK(push->body["node"] == "game-1");

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
