// What a handler sends to its own session (pushes, broadcasts, a kick, session data) reaches
// the client before the handler's Response, on a gate node with several workers; pushes from
// one service to one session keep their order; over TCP and WebSocket and over their TLS forms
// (the TLS ports hand their stream to the same connection code). (Across nodes:
// tests/examples/cluster_gate_test.cpp.)

#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "framework/node.hpp"
#include "session/gate.hpp"
#include "tests/framework/harness.hpp"
#include "tests/session/order_probe.hpp"
#include "tests/session/tls_pki.hpp"

using namespace std::chrono_literals;
using hearth::testing::client_event;
using hearth::testing::test_client;
using json = nlohmann::json;
namespace session = hearth::session;

namespace {

using kind = test_client::kind;

struct order_fixture {
    explicit order_fixture(unsigned threads) : n(hearth::testing::test_config("gate-1", threads)) {
        session::gate_options o;
        o.host = "127.0.0.1";
        o.tcp_port = 0;
        o.ws_port = 0;
        o.tls_port = 0;
        o.wss_port = 0;
        o.tls = pki.server();
        g = &n.add_service<session::gate>("gate", std::move(o));  // worker 0
        n.add_service<hearth::testing::order_service>("order");   // worker 1
        n.start();
        REQUIRE(g->wait_listening(5s));
    }
    ~order_fixture() { n.stop(); }

    /// `count` clients after the handshake; sessions go to the workers round-robin.
    std::vector<std::unique_ptr<test_client>> clients(std::size_t count, kind k) {
        std::vector<std::unique_ptr<test_client>> out;
        for (std::size_t i = 0; i < count; ++i) {
            out.push_back(std::make_unique<test_client>(k, port(k), pki.client()));
            REQUIRE(out.back()->handshake()["code"] == 200);
        }
        return out;
    }
    std::uint16_t port(kind k) const {
        switch (k) {
            case kind::tcp:
                return g->tcp_port();
            case kind::ws:
                return g->ws_port();
            case kind::tls:
                return g->tls_port();
            case kind::wss:
                return g->wss_port();
        }
        return 0;
    }

    hearth::testing::tls_pki pki;  // before the node: the gate loads it when it starts
    hearth::node n;
    session::gate* g = nullptr;
};

}  // namespace

TEST_CASE("order: a handler's pushes reach the client before its Response (2 and 3 workers)", "[order]") {
    const auto k = GENERATE(kind::tcp, kind::ws, kind::tls, kind::wss);
    INFO("transport " << hearth::testing::kind_name(k));
    for (unsigned threads : {2u, 3u}) {
        CAPTURE(threads);
        order_fixture f(threads);
        // 4 clients x 50 joins: sessions on every worker, 4 pushes (ref::push and group
        // broadcast alternating) before each Response.
        auto cs = f.clients(4, k);
        int early = 0;
        for (std::size_t i = 0; i < cs.size(); ++i) {
            const int r =
                hearth::testing::count_responses_first(*cs[i], 50, 4, 1 + static_cast<int>(i) * 1000);
            REQUIRE(r >= 0);  // every push arrived, in order, and every Response
            early += r;
        }
        CHECK(early == 0);
    }
}

TEST_CASE("order: over WebSocket too", "[order]") {
    const auto k = GENERATE(kind::ws, kind::wss);
    INFO("transport " << hearth::testing::kind_name(k));
    order_fixture f(2);
    auto cs = f.clients(2, k);
    int early = 0;
    for (std::size_t i = 0; i < cs.size(); ++i) {
        const int r = hearth::testing::count_responses_first(*cs[i], 50, 3, 1 + static_cast<int>(i) * 1000);
        REQUIRE(r >= 0);
        early += r;
    }
    CHECK(early == 0);
}

TEST_CASE("order: pushes then a kick: the client sees the pushes, then the Kick, never the Response first",
          "[order]") {
    const auto k = GENERATE(kind::tcp, kind::ws, kind::tls, kind::wss);
    INFO("transport " << hearth::testing::kind_name(k));
    order_fixture f(2);
    auto cs = f.clients(40, k);
    int wrong = 0;
    for (std::size_t i = 0; i < cs.size(); ++i) {
        json req;
        req["tag"] = static_cast<int>(i);
        req["n"] = 3;
        cs[i]->request(1, "order.kick", req);
        std::vector<client_event> seen;
        while (auto e = hearth::testing::next_event(*cs[i])) {
            seen.push_back(*e);
            if (e->type == client_event::kind::kick) break;
        }
        REQUIRE(!seen.empty());
        REQUIRE(seen.back().type == client_event::kind::kick);  // a kick is always the last thing sent
        CHECK(seen.back().body["reason"] == std::to_string(i));
        bool in_order = seen.size() == 4;
        for (std::size_t k = 0; in_order && k + 1 < seen.size(); ++k)
            in_order = seen[k].type == client_event::kind::push && seen[k].body["i"] == static_cast<int>(k);
        if (!in_order) ++wrong;
        CHECK(cs[i]->wait_closed());
    }
    CHECK(wrong == 0);
}

TEST_CASE("order: bind and session data set by a handler are in place when its Response arrives", "[order]") {
    const auto k = GENERATE(kind::tcp, kind::ws, kind::tls, kind::wss);
    INFO("transport " << hearth::testing::kind_name(k));
    order_fixture f(2);
    auto cs = f.clients(4, k);
    for (std::size_t i = 0; i < cs.size(); ++i) {
        auto& c = *cs[i];
        for (int k = 0; k < 25; ++k) {
            const int tag = static_cast<int>(i) * 100 + k;
            json req;
            req["tag"] = tag;
            c.request(1, "order.data", req);
            auto r = c.next_response();
            REQUIRE(r);
            REQUIRE_FALSE(r->error);
            c.request(2, "order.check", json::object());
            auto check = c.next_response();
            REQUIRE(check);
            REQUIRE_FALSE(check->error);
            CHECK(check->body["uid"] == "u-" + std::to_string(tag));
            CHECK(check->body["tag"] == tag);
        }
    }
}
