#include "session/gate.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <future>
#include <thread>

#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "framework/node.hpp"
#include "framework/timer.hpp"
#include "framework/worker.hpp"
#include "session/group.hpp"
#include "session/ref.hpp"
#include "tests/framework/harness.hpp"
#include "tests/framework/loopback_transport.hpp"
#include "tests/session/test_client.hpp"

using namespace std::chrono_literals;
using hearth::testing::test_client;
using json = nlohmann::json;
namespace session = hearth::session;

namespace {

inline constexpr hearth::rpc::method<json, json> echo_m{"echo.echo"};
inline constexpr hearth::rpc::method<json, json> join_m{"room.join"};
inline constexpr hearth::rpc::method<json, json> kick_m{"room.kick"};
inline constexpr hearth::rpc::method<json, json> slow_m{"room.slow"};
inline constexpr hearth::rpc::method<json, json> fail_m{"room.fail"};
inline constexpr hearth::rpc::method<json, json> flood_m{"room.flood"};
inline constexpr hearth::rpc::method<json, json> who_m{"room.who"};
inline constexpr hearth::rpc::method<json, void> say_m{"room.say"};
inline constexpr hearth::rpc::method<json, json> huge_m{"room.huge"};
inline constexpr hearth::rpc::method<json, json> huge_error_m{"room.huge_error"};

class echo_service : public hearth::service {
  public:
    std::atomic<int> calls{0};

    echo_service() { handle(echo_m, &echo_service::on_echo); }

  private:
    hearth::awaitable<json> on_echo(json j) {
        calls.fetch_add(1);
        co_return j;
    }
};

class room_service : public hearth::service {
  public:
    std::atomic<int> closed_events{0};
    std::atomic<std::uint64_t> last_closed{0};
    std::atomic<int> floods_queued{0};  // on_flood calls whose pushes are all queued

    room_service() {
        handle(join_m, &room_service::on_join);
        handle(kick_m, &room_service::on_kick);
        handle(slow_m, &room_service::on_slow);
        handle(fail_m, &room_service::on_fail);
        handle(flood_m, &room_service::on_flood);
        handle(who_m, &room_service::on_who);
        handle(say_m, &room_service::on_say);
        handle(huge_m, &room_service::on_huge);
        handle(huge_error_m, &room_service::on_huge_error);
        handle(session::closed, &room_service::on_closed);
    }

  private:
    hearth::awaitable<hearth::result<json>> on_join(const hearth::call_context& ctx, json req) {
        auto s = session::ref::from(ctx);
        if (!s) co_return hearth::app_error("no_session", "Not a client.");
        auto b = co_await s->bind(req.value("uid", std::string("anon")));
        if (!b) co_return std::move(b).error();
        members_.add(*s);
        json joined;
        joined["uid"] = req.value("uid", std::string("anon"));
        s->push("onJoined", joined);
        s->set("nick", joined["uid"]);
        json resp;
        resp["code"] = 0;
        resp["members"] = members_.count();
        co_return resp;
    }
    hearth::awaitable<json> on_kick(const hearth::call_context& ctx, json req) {
        session::ref::from(ctx)->kick(req.value("reason", std::string("bye")));
        co_return json::object();
    }
    hearth::awaitable<json> on_slow(json req) {
        co_await hearth::sleep(std::chrono::milliseconds(req.value("ms", 100)));
        co_return req;
    }
    hearth::awaitable<json> on_fail(json) {
        throw std::runtime_error("secret failure text");
        co_return json();
    }
    hearth::awaitable<json> on_flood(const hearth::call_context& ctx, json req) {
        auto s = session::ref::from(ctx);
        const std::string blob(req.value("size", 1000), 'x');
        for (int i = 0; i < req.value("count", 10); ++i) s->push("onFlood", blob);
        floods_queued.fetch_add(1);
        co_return json::object();
    }
    hearth::awaitable<json> on_who(const hearth::call_context& ctx, json) {
        auto s = session::ref::from(ctx);
        auto nick = co_await s->get("nick");
        json out;
        out["uid"] = ctx.client->uid;
        out["nick"] = nick ? *nick : json();
        co_return out;
    }
    hearth::awaitable<void> on_say(json msg) {
        members_.broadcast("onMessage", msg);
        co_return;
    }
    // A string of req["size"] bytes, as the result or as an application error's message.
    hearth::awaitable<json> on_huge(json req) { co_return json(std::string(req.value("size", 0), 'x')); }
    hearth::awaitable<hearth::result<json>> on_huge_error(json req) {
        co_return hearth::app_error("huge", std::string(req.value("size", 0), 'x'));
    }
    hearth::awaitable<void> on_closed(session::session_closed ev) {
        members_.remove(session::ref(ev.gate_node, ev.session_id));
        last_closed = ev.session_id;
        closed_events.fetch_add(1);
        co_return;
    }

    session::group members_;
};

// A loopback link whose peer can be marked down: unreachable, and hosting nothing.
class downable_transport final : public hearth::remote_transport {
  public:
    explicit downable_transport(hearth::node& self) : inner_(self) {}
    void connect(hearth::node& peer) { inner_.connect(peer); }
    std::atomic<bool> down{false};
    hearth::rpc::codec codec() const noexcept override { return inner_.codec(); }
    std::optional<hearth::rpc::error> send(const hearth::outbound_message& m) override {
        if (down) return hearth::rpc::error{hearth::rpc::errc::unreachable, "down"};
        return inner_.send(m);
    }
    std::vector<std::string> nodes_hosting(std::string_view service) const override {
        if (down) return {};
        return inner_.nodes_hosting(service);
    }

  private:
    hearth::testing::loopback_transport inner_;
};

struct fixture {
    explicit fixture(session::gate_options o = {}, unsigned threads = 2)
        : n(hearth::testing::test_config("gate-1", threads)) {
        o.host = "127.0.0.1";
        o.tcp_port = 0;
        o.ws_port = 0;
        g = &n.add_service<session::gate>("gate", std::move(o));
        echo = &n.add_service<echo_service>("echo");
        room = &n.add_service<room_service>("room");
        n.start();
        REQUIRE(g->wait_listening(5s));
    }
    ~fixture() { n.stop(); }
    std::uint64_t counter(const char* name) {
        auto text = n.metrics().render();
        auto pos = text.find(std::string(name) + "{");
        if (pos == std::string::npos) return 0;
        pos = text.find("} ", pos);
        return std::stoull(text.substr(pos + 2));
    }

    hearth::node n;
    session::gate* g = nullptr;
    echo_service* echo = nullptr;
    room_service* room = nullptr;
};

}  // namespace

TEST_CASE("gate: handshake, request/response, notify and push over TCP and WebSocket", "[gate]") {
    fixture f;
    for (auto kind : {test_client::kind::tcp, test_client::kind::ws}) {
        test_client c(kind, kind == test_client::kind::tcp ? f.g->tcp_port() : f.g->ws_port());
        auto hs = c.handshake();
        REQUIRE(hs["code"] == 200);
        REQUIRE(hs["sys"]["heartbeat"] == 30);
        json payload;
        payload["text"] = "hello";
        payload["n"] = 42;
        c.request(1, "echo.echo", payload);
        auto r = c.next_response();
        REQUIRE(r);
        CHECK(r->id == 1);
        CHECK_FALSE(r->error);
        CHECK(r->body == payload);

        json join;
        join["uid"] = kind == test_client::kind::tcp ? "alice" : "bob";
        c.request(2, "room.join", join);
        r = c.next_response();
        REQUIRE(r);
        CHECK(r->body["code"] == 0);
        auto p = c.next_push();
        REQUIRE(p);
        CHECK(p->route == "onJoined");

        c.request(3, "room.who", json::object());
        r = c.next_response();
        REQUIRE(r);
        CHECK(r->body["uid"] == join["uid"]);
        CHECK(r->body["nick"] == join["uid"]);

        json said;
        said["content"] = "hi";
        c.notify("room.say", said);
        p = c.next_push();
        REQUIRE(p);
        CHECK(p->route == "onMessage");
        CHECK(p->body == said);
        CHECK(f.g->session_count() >= 1);
    }
}

TEST_CASE("gate: every request gets exactly one response, errors with stable codes", "[gate]") {
    session::gate_options o;
    o.request_timeout = 200ms;
    fixture f(o);
    test_client c(test_client::kind::tcp, f.g->tcp_port());
    REQUIRE(c.handshake()["code"] == 200);

    c.request(1, "nosuch.route", json::object());
    c.request(2, "room.nomethod", json::object());
    c.request(3, "room.fail", json::object());
    json slow;
    slow["ms"] = 1000;
    c.request(4, "room.slow", slow);
    c.request(5, "gate.kick", json::object());  // the gate's own methods are not for clients
    c.request(6, "echo.echo", json::object());
    std::map<std::uint64_t, test_client::response> got;
    for (int i = 0; i < 6; ++i) {
        auto r = c.next_response();
        REQUIRE(r);
        got[r->id] = *r;
    }
    REQUIRE(got.size() == 6);
    CHECK(got[1].error);
    CHECK(got[1].body["code"] == "not_found");
    CHECK(got[2].body["code"] == "not_found");
    CHECK(got[3].body["code"] == "internal");
    CHECK(got[3].body["message"].get<std::string>().find("secret") == std::string::npos);
    CHECK(got[4].body["code"] == "timeout");
    CHECK(got[5].body["code"] == "not_found");
    CHECK_FALSE(got[6].error);
}

TEST_CASE("gate: a Response too large to encode is answered with an internal error", "[gate]") {
    fixture f;
    test_client c(test_client::kind::tcp, f.g->tcp_port());
    REQUIRE(c.handshake()["code"] == 200);
    json big;
    big["size"] = session::max_packet_body_limit + 1;
    c.request(1, "room.huge", big);
    c.request(2, "room.huge_error", big);
    c.request(3, "echo.echo", json::object());
    std::map<std::uint64_t, test_client::response> got;
    for (int i = 0; i < 3; ++i) {
        auto r = c.next_response(20s);
        REQUIRE(r);
        got[r->id] = *r;
    }
    REQUIRE(got.size() == 3);
    for (std::uint64_t id : {1, 2}) {
        INFO("request " << id);
        CHECK(got[id].error);
        CHECK(got[id].body["code"] == "internal");
        CHECK(got[id].body["message"] == "The response is too large.");
    }
    CHECK_FALSE(got[3].error);
    CHECK(f.counter("hearth_gate_request_errors_total") == 2);
}

TEST_CASE("gate: a handshake reply too large to encode closes the connection", "[gate]") {
    session::gate_options o;
    o.validator = [](const session::handshake_request&) -> hearth::awaitable<session::handshake_verdict> {
        co_return session::handshake_verdict{403, std::string(session::max_packet_body_limit + 1, 'x')};
    };
    fixture f(o);
    test_client c(test_client::kind::tcp, f.g->tcp_port());
    CHECK(c.handshake().is_null());  // no reply: the connection ended
    CHECK(c.wait_closed());
    CHECK(hearth::testing::eventually([&] { return f.counter("hearth_gate_sessions") == 0; }));
}

TEST_CASE("gate: requests of one session are answered in order for an in-order service", "[gate]") {
    fixture f;
    test_client c(test_client::kind::tcp, f.g->tcp_port());
    REQUIRE(c.handshake()["code"] == 200);
    for (int i = 1; i <= 200; ++i) {
        json p;
        p["i"] = i;
        c.request(static_cast<std::uint64_t>(i), "echo.echo", p);
    }
    for (int i = 1; i <= 200; ++i) {
        auto r = c.next_response();
        REQUIRE(r);
        CHECK(r->id == static_cast<std::uint64_t>(i));
        CHECK(r->body["i"] == i);
    }
}

TEST_CASE("gate: malformed input closes only the offending connection", "[gate][malformed]") {
    session::gate_options o;
    o.handshake_timeout = 300ms;
    fixture f(o);
    test_client good(test_client::kind::tcp, f.g->tcp_port());
    REQUIRE(good.handshake()["code"] == 200);

    SECTION("garbage bytes") {
        test_client c(test_client::kind::tcp, f.g->tcp_port());
        c.send_raw("\xff\xff\xff\xff garbage");
        CHECK(c.wait_closed());
    }
    SECTION("oversize length") {
        test_client c(test_client::kind::tcp, f.g->tcp_port());
        c.send_raw(std::string("\x01\x7f\xff\xff", 4));
        CHECK(c.wait_closed());
    }
    SECTION("data before handshake") {
        test_client c(test_client::kind::tcp, f.g->tcp_port());
        c.request(1, "echo.echo", json::object());
        CHECK(c.wait_closed());
    }
    SECTION("data before ack") {
        test_client c(test_client::kind::tcp, f.g->tcp_port());
        c.send_packet(hearth::session::packet_type::handshake, "{}");
        c.request(1, "echo.echo", json::object());
        CHECK(c.wait_closed());
    }
    SECTION("truncated packet then silence: the handshake timeout closes it") {
        test_client c(test_client::kind::tcp, f.g->tcp_port());
        c.send_raw(std::string("\x01\x00\x00\x10{\"sys\"", 10));
        CHECK(c.wait_closed());
    }
    SECTION("bad message in a data packet") {
        test_client c(test_client::kind::tcp, f.g->tcp_port());
        REQUIRE(c.handshake()["code"] == 200);
        c.send_packet(hearth::session::packet_type::data, std::string("\x0e\x01", 2));
        CHECK(c.wait_closed());
    }
    SECTION("malformed handshake JSON gets a 400 then a close") {
        test_client c(test_client::kind::tcp, f.g->tcp_port());
        c.send_packet(hearth::session::packet_type::handshake, "{not json");
        auto p = c.next();
        REQUIRE(p);
        CHECK(json::parse(p->body)["code"] == 400);
        CHECK(c.wait_closed());
    }
    SECTION("garbage over WebSocket") {
        test_client c(test_client::kind::ws, f.g->ws_port());
        c.send_raw("\x09\x00\x00\x00");
        CHECK(c.wait_closed());
    }
    // The well-behaved client is unaffected.
    good.request(7, "echo.echo", json::object());
    auto r = good.next_response();
    REQUIRE(r);
    CHECK(r->id == 7);
    CHECK(f.counter("hearth_gate_protocol_errors_total") >= 1);
}

namespace {

using steady = std::chrono::steady_clock;
using hearth::session::packet_type;

std::chrono::milliseconds left_until(steady::time_point t) {
    return std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(t - steady::now()));
}

// Plays the standard clients (pomelo-jsclient-websocket, pomelo-protocol users, Nano's starx):
// never a Heartbeat of its own; `h` after a server Heartbeat it sends one, and Heartbeats that
// arrive while that is pending change nothing. False if the server closed within `span`.
bool answer_heartbeats_only(test_client& c, std::chrono::milliseconds h, std::chrono::milliseconds span) {
    const auto end = steady::now() + span;
    constexpr auto none = steady::time_point::max();
    auto reply_at = none;  // when the pending answer goes out
    while (steady::now() < end) {
        auto p = c.next(left_until(std::min(reply_at, end)));
        if (c.closed()) return false;
        if (p && p->type == packet_type::heartbeat && reply_at == none) reply_at = steady::now() + h;
        if (reply_at != none && steady::now() >= reply_at) {
            c.send_packet(packet_type::heartbeat, "");
            reply_at = none;
        }
    }
    return true;
}

// Plays clients that send a Heartbeat every `h` on their own timer (Pitaya's, hand-written
// ones). Counts the Heartbeats sent and received; false if the server closed within `span`.
bool heartbeat_on_own_timer(test_client& c, std::chrono::milliseconds h, std::chrono::milliseconds span,
                            int& sent, int& received) {
    const auto end = steady::now() + span;
    auto next_send = steady::now();
    while (steady::now() < end) {
        if (steady::now() >= next_send) {
            c.send_packet(packet_type::heartbeat, "");
            ++sent;
            next_send += h;
        }
        auto p = c.next(left_until(std::min(next_send, end)));
        if (c.closed()) return false;
        if (p && p->type == packet_type::heartbeat) ++received;
    }
    return true;
}

}  // namespace

TEST_CASE("gate: a client that only answers server heartbeats stays connected while idle",
          "[gate][heartbeat]") {
    session::gate_options o;
    o.heartbeat = 400ms;
    fixture f(o);
    for (auto k : {test_client::kind::tcp, test_client::kind::ws}) {
        test_client c(k, k == test_client::kind::tcp ? f.g->tcp_port() : f.g->ws_port());
        REQUIRE(c.handshake()["code"] == 200);
        CHECK(answer_heartbeats_only(c, o.heartbeat, 13 * o.heartbeat / 2));
        c.request(1, "echo.echo", json::object());
        auto r = c.next_response();
        REQUIRE(r);
        CHECK(r->id == 1);
    }
}

TEST_CASE("gate: a client that heartbeats on its own timer stays connected and is answered",
          "[gate][heartbeat]") {
    session::gate_options o;
    o.heartbeat = 400ms;
    fixture f(o);
    for (auto k : {test_client::kind::tcp, test_client::kind::ws}) {
        test_client c(k, k == test_client::kind::tcp ? f.g->tcp_port() : f.g->ws_port());
        REQUIRE(c.handshake()["code"] == 200);
        int sent = 0, received = 0;
        CHECK(heartbeat_on_own_timer(c, o.heartbeat, 13 * o.heartbeat / 2, sent, received));
        c.request(1, "echo.echo", json::object());
        // The answer to our last Heartbeat was queued before the Response.
        for (;;) {
            auto p = c.next();
            REQUIRE(p);
            if (p->type == packet_type::heartbeat) ++received;
            if (p->type == packet_type::data) break;
        }
        // Every Heartbeat was answered (plus the one the gate sends after the ack).
        CHECK(received >= sent);
    }
}

TEST_CASE("gate: WebSocket pings count as liveness", "[gate][heartbeat]") {
    session::gate_options o;
    o.heartbeat = 400ms;
    fixture f(o);
    test_client c(test_client::kind::ws, f.g->ws_port());
    REQUIRE(c.handshake()["code"] == 200);
    // No packet at all after the ack, only a ping every heartbeat / 2.
    const auto end = steady::now() + 13 * o.heartbeat / 2;
    while (steady::now() < end) {
        c.ping();
        (void)c.next(std::min(o.heartbeat / 2, left_until(end)));
        REQUIRE_FALSE(c.closed());
    }
    c.request(1, "echo.echo", json::object());
    auto r = c.next_response();
    REQUIRE(r);
    CHECK(r->id == 1);
}

TEST_CASE("gate: a silent client is kicked 2 x heartbeat after the last thing it sent", "[gate][heartbeat]") {
    session::gate_options o;
    o.heartbeat = 400ms;
    fixture f(o);
    for (auto k : {test_client::kind::tcp, test_client::kind::ws}) {
        test_client c(k, k == test_client::kind::tcp ? f.g->tcp_port() : f.g->ws_port());
        auto hs = c.handshake();
        const auto acked = steady::now();
        CHECK(hs["sys"]["heartbeat"] == 0.4);
        // The first Heartbeat follows the ack at once, not a heartbeat later.
        auto p = c.next(o.heartbeat / 2);
        REQUIRE(p);
        CHECK(p->type == packet_type::heartbeat);
        // We never send anything again: kicked ("heartbeat timeout") at 2 x heartbeat, then the
        // server's half-close (TCP) or close frame (WebSocket).
        CHECK(c.wait_closed(2 * o.heartbeat + o.kick_flush_timeout));
        const auto took = steady::now() - acked;
        CHECK(took >= 2 * o.heartbeat);
        CHECK(took < 2 * o.heartbeat + 1s);
        CHECK(json::parse(c.kick_body())["reason"] == "heartbeat timeout");
        if (k == test_client::kind::ws) {
            CHECK(c.close_code() == 1001);
            CHECK(c.close_reason() == "heartbeat timeout");
        }
    }
}

TEST_CASE("gate: kick sends the reason, flushes, closes; close callbacks reach the room", "[gate]") {
    fixture f;
    test_client c(test_client::kind::tcp, f.g->tcp_port());
    REQUIRE(c.handshake()["code"] == 200);
    json join;
    join["uid"] = "carol";
    c.request(1, "room.join", join);
    REQUIRE(c.next_response());
    json k;
    k["reason"] = "go away";
    c.request(2, "room.kick", k);
    CHECK(c.wait_closed());
    CHECK(json::parse(c.kick_body())["reason"] == "go away");
    CHECK(hearth::testing::eventually([&] { return f.room->closed_events.load() == 1; }));
    CHECK(hearth::testing::eventually([&] { return f.g->session_count() == 0; }));
}

TEST_CASE("gate: duplicate login kicks the old session by default", "[gate]") {
    fixture f;
    test_client a(test_client::kind::tcp, f.g->tcp_port());
    test_client b(test_client::kind::ws, f.g->ws_port());
    REQUIRE(a.handshake()["code"] == 200);
    REQUIRE(b.handshake()["code"] == 200);
    json join;
    join["uid"] = "dave";
    a.request(1, "room.join", join);
    REQUIRE(a.next_response());
    b.request(1, "room.join", join);
    auto r = b.next_response();
    REQUIRE(r);
    CHECK_FALSE(r->error);
    CHECK(a.wait_closed());
    CHECK(json::parse(a.kick_body())["reason"] == "duplicate login");
}

TEST_CASE("gate: duplicate login rejects the new session by policy", "[gate]") {
    session::gate_options o;
    o.duplicate_login = session::duplicate_login_policy::reject_new;
    fixture f(o);
    test_client a(test_client::kind::tcp, f.g->tcp_port());
    test_client b(test_client::kind::tcp, f.g->tcp_port());
    REQUIRE(a.handshake()["code"] == 200);
    REQUIRE(b.handshake()["code"] == 200);
    json join;
    join["uid"] = "erin";
    a.request(1, "room.join", join);
    REQUIRE(a.next_response());
    b.request(1, "room.join", join);
    auto r = b.next_response();
    REQUIRE(r);
    CHECK(r->error);
    CHECK(r->body["code"] == "duplicate_login");
    a.request(2, "echo.echo", json::object());
    auto ra = a.next_response();
    REQUIRE(ra);
    CHECK(ra->id == 2);
}

TEST_CASE("gate: a client that never reads is kicked and memory stays bounded", "[gate][slow]") {
    session::gate_options o;
    o.max_queued_bytes = 256 * 1024;
    o.max_queued_packets = 1000;
    fixture f(o);
    test_client c(test_client::kind::tcp, f.g->tcp_port());
    REQUIRE(c.handshake()["code"] == 200);
    json flood;
    flood["size"] = 16000;
    flood["count"] = 2000;  // 32 MB of pushes; the client reads none of it for now
    c.request(1, "room.flood", flood);
    REQUIRE(
        hearth::testing::eventually([&] { return f.counter("hearth_gate_slow_clients_kicked_total") >= 1; }));
    CHECK(hearth::testing::eventually([&] { return f.g->session_count() == 0; }));
    CHECK(c.wait_closed(10s));
}

TEST_CASE("gate: request rate limit answers overloaded", "[gate]") {
    session::gate_options o;
    o.rate_limit = 1;
    o.rate_burst = 2;
    fixture f(o);
    test_client c(test_client::kind::tcp, f.g->tcp_port());
    REQUIRE(c.handshake()["code"] == 200);
    for (int i = 1; i <= 4; ++i) c.request(static_cast<std::uint64_t>(i), "echo.echo", json::object());
    int overloaded = 0;
    for (int i = 0; i < 4; ++i) {
        auto r = c.next_response();
        REQUIRE(r);
        if (r->error && r->body["code"] == "overloaded") ++overloaded;
    }
    CHECK(overloaded >= 1);
    CHECK(f.counter("hearth_gate_rate_limited_total") >= 1);
}

TEST_CASE("gate: the handshake validator can refuse", "[gate]") {
    session::gate_options o;
    o.validator = [](const session::handshake_request& hs) -> hearth::awaitable<session::handshake_verdict> {
        co_await hearth::sleep(1ms);
        if (hs.user.is_object() && hs.user.value("token", "") == "good")
            co_return session::handshake_verdict{};
        co_return session::handshake_verdict{401 - 1, "bad token"};
    };
    fixture f(o);
    test_client ok(test_client::kind::tcp, f.g->tcp_port());
    json user;
    user["token"] = "good";
    CHECK(ok.handshake(user)["code"] == 200);
    test_client bad(test_client::kind::tcp, f.g->tcp_port());
    user["token"] = "bad";
    auto hs = bad.handshake(user);
    CHECK(hs["code"] == 400);
    CHECK(hs["message"] == "bad token");
    CHECK(bad.wait_closed());
}

TEST_CASE("gate: max connections, static files, route dictionary", "[gate]") {
    session::gate_options o;
    o.max_connections = 1;
    o.static_files["/index.html"] = session::static_file{"text/html", "<h1>hi</h1>"};
    auto dict = std::make_shared<session::route_dictionary>();
    REQUIRE_FALSE(dict->add("onMessage", 7));
    REQUIRE_FALSE(dict->add("room.say", 8));
    o.dictionary = dict;
    fixture f(o);
    test_client a(test_client::kind::tcp, f.g->tcp_port());
    auto hs = a.handshake();
    CHECK(hs["sys"]["dict"]["onMessage"] == 7);
    test_client b(test_client::kind::tcp, f.g->tcp_port());
    CHECK(b.wait_closed());
    CHECK(f.counter("hearth_gate_rejected_total") == 1);
    a.close();
    REQUIRE(hearth::testing::eventually([&] { return f.g->session_count() == 0; }));

    // Plain HTTP on the WebSocket port.
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), f.g->ws_port()});
    const std::string req = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    boost::asio::write(s, boost::asio::buffer(req));
    std::string got;
    boost::system::error_code ec;
    char buf[4096];
    while (!ec) {
        auto n = s.read_some(boost::asio::buffer(buf), ec);
        got.append(buf, n);
    }
    CHECK(got.find("200 OK") != std::string::npos);
    CHECK(got.find("<h1>hi</h1>") != std::string::npos);

    // Compressed routes both ways.
    test_client c(test_client::kind::tcp, f.g->tcp_port());
    REQUIRE(c.handshake()["code"] == 200);
    json join;
    join["uid"] = "frank";
    c.request(1, "room.join", join);
    REQUIRE(c.next_response());
    std::string out;
    hearth::session::message m;
    m.type = hearth::session::message_type::notify;
    m.route = "room.say";
    m.payload = "{\"x\":1}";
    REQUIRE_FALSE(hearth::session::encode_data_packet(out, m, dict.get()));
    CHECK(static_cast<unsigned char>(out[4]) == 0x03);
    c.send_raw(out);
    for (;;) {
        auto p = c.next();
        REQUIRE(p);
        if (p->type != hearth::session::packet_type::data) continue;
        if (static_cast<unsigned char>(p->body[0]) == 0x07) {  // compressed Push
            hearth::session::message pm;
            REQUIRE_FALSE(hearth::session::decode_message(p->body, dict.get(), pm));
            CHECK(pm.route == "onMessage");
            break;
        }
    }
}

TEST_CASE("gate: shutdown kicks clients with a reason", "[gate]") {
    auto f = std::make_unique<fixture>();
    std::vector<std::unique_ptr<test_client>> clients;
    for (auto k : {test_client::kind::tcp, test_client::kind::ws, test_client::kind::tcp}) {
        clients.push_back(std::make_unique<test_client>(
            k, k == test_client::kind::tcp ? f->g->tcp_port() : f->g->ws_port()));
        REQUIRE(clients.back()->handshake()["code"] == 200);
    }
    auto stopping = std::async(std::launch::async, [&f] { return f->n.stop(); });
    // Each client reads its kick and the server's half-close, then closes its side, as a
    // Pomelo client does.
    for (auto& c : clients) {
        CHECK(c->wait_closed());
        CHECK(json::parse(c->kick_body())["reason"] == "server shutting down");
        c.reset();
    }
    auto report = stopping.get();
    CHECK(report.ok());
    // The kick step ends as soon as the last session is gone, not at the 2 s kick flush
    // deadline.
    auto step = std::find_if(report.steps.begin(), report.steps.end(),
                             [](const auto& s) { return s.name == "gate 'gate': kick clients"; });
    REQUIRE(step != report.steps.end());
    CHECK(step->ok);
    CHECK(step->took < std::chrono::milliseconds(1000));
    CHECK(f->g->session_count() == 0);
}

TEST_CASE("gate: shutdown does not wait past kick_flush_timeout for a client that never reads",
          "[gate][kick][shutdown]") {
    // The kick step's guarantee (session/README.md): each kick closes its connection within
    // kick_flush_timeout whether or not the kick could be written, so the step ends before its
    // deadline (kick_flush_timeout + 500 ms) even when a client's socket is full.
    session::gate_options o;
    o.kick_flush_timeout = 300ms;
    o.max_queued_bytes = 64 * 1024 * 1024;  // the flood below stays queued, not slow-client kicked
    o.max_queued_packets = 100000;
    auto f = std::make_unique<fixture>(o);
    test_client c(test_client::kind::tcp, f->g->tcp_port());
    REQUIRE(c.handshake()["code"] == 200);
    json flood;
    flood["size"] = 16000;
    flood["count"] = 2000;  // 32 MB: far more than the loopback socket buffers take
    c.request(1, "room.flood", flood);
    REQUIRE(hearth::testing::eventually([&] { return f->room->floods_queued.load() == 1; }));
    const auto report = f->n.stop();
    auto step = std::find_if(report.steps.begin(), report.steps.end(),
                             [](const auto& s) { return s.name == "gate 'gate': kick clients"; });
    REQUIRE(step != report.steps.end());
    CHECK(step->ok);
    CHECK(step->error.empty());
    CHECK(step->took >= 300ms);  // the kick could not flush: it waited for kick_flush_timeout
    CHECK(step->took < 300ms + 500ms);
    CHECK(f->g->session_count() == 0);
}

TEST_CASE("gate: requests route to the node that hosts the service; down = unavailable", "[gate][remote]") {
    hearth::node gate_node(hearth::testing::test_config("gate-1", 2));
    hearth::node game_node(hearth::testing::test_config("game-1", 1));
    auto to_game = std::make_shared<downable_transport>(gate_node);
    auto to_gate = std::make_shared<hearth::testing::loopback_transport>(game_node);
    to_game->connect(game_node);
    to_gate->connect(gate_node);
    gate_node.set_transport(to_game);
    game_node.set_transport(to_gate);
    session::gate_options o;
    o.tcp_port = 0;
    o.ws_port = -1;
    auto& g = gate_node.add_service<session::gate>("gate", o);
    auto& room = game_node.add_service<room_service>("room");
    gate_node.start();
    game_node.start();
    REQUIRE(g.wait_listening(5s));

    test_client c(test_client::kind::tcp, g.tcp_port());
    REQUIRE(c.handshake()["code"] == 200);
    json join;
    join["uid"] = "gina";
    c.request(1, "room.join", join);
    auto r = c.next_response();
    REQUIRE(r);
    CHECK_FALSE(r->error);
    auto p = c.next_push();  // pushed by the remote room through gate@gate-1
    REQUIRE(p);
    CHECK(p->route == "onJoined");
    c.request(2, "room.who", json::object());
    r = c.next_response();
    REQUIRE(r);
    CHECK(r->body["uid"] == "gina");

    to_game->down = true;  // the only node hosting "room" is gone
    c.request(3, "room.who", json::object());
    r = c.next_response();
    REQUIRE(r);
    CHECK(r->error);
    CHECK(r->body["code"] == "unavailable");
    c.request(31, "room.who", json::object());
    r = c.next_response();
    REQUIRE(r);
    CHECK(r->body["code"] == "unavailable");  // still, until another node hosts it
    to_game->down = false;
    c.request(4, "room.who", json::object());
    r = c.next_response();
    REQUIRE(r);
    CHECK_FALSE(r->error);
    c.close();
    gate_node.stop();
    game_node.stop();
    (void)room;
}

TEST_CASE("gate: a WebSocket-port read that completes exactly at its deadline touches no freed socket",
          "[gate][ws]") {
    // The HTTP phase of the WebSocket port is bounded by a deadline timer. Hold the session's
    // worker past that deadline while the client's EOF arrives, so the read and the timer complete
    // in the same reactor turn: the read ends the connection's coroutine, then the timer fires.
    // (Under ASan a timer that captured the coroutine's socket would read freed memory here.)
    session::gate_options o;
    o.handshake_timeout = 100ms;
    fixture f(o, 1);
    namespace asio = boost::asio;
    auto get_keep_alive = [&](asio::ip::tcp::socket& s) {
        const std::string req = "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n";
        asio::write(s, asio::buffer(req));
        std::string got;
        char buf[1024];
        while (got.find("Not found.\n") == std::string::npos) {
            boost::system::error_code ec;
            auto n = s.read_some(asio::buffer(buf), ec);
            if (ec) break;
            got.append(buf, n);
        }
        return got;
    };
    for (int round = 0; round < 3; ++round) {
        asio::io_context io;
        asio::ip::tcp::socket s(io);
        s.connect({asio::ip::make_address("127.0.0.1"), f.g->ws_port()});
        // One exchange: the port's coroutine is now parked in its next read, deadline armed.
        REQUIRE(get_keep_alive(s).find("404") != std::string::npos);
        const auto deadline_passed = std::chrono::steady_clock::now() + o.handshake_timeout + 50ms;
        std::promise<void> holding, eof_sent;
        auto held = holding.get_future();
        f.n.worker_at(0).post_function([&, eof = eof_sent.get_future()](hearth::worker&) mutable {
            holding.set_value();
            eof.wait();
            // Time itself is what this test needs to pass: the deadline must expire while held.
            std::this_thread::sleep_until(deadline_passed);
        });
        held.wait();
        s.shutdown(asio::ip::tcp::socket::shutdown_send);
        eof_sent.set_value();
        // The gate closes the connection and still serves the next one.
        boost::system::error_code ec;
        char buf[256];
        while (!ec) s.read_some(asio::buffer(buf), ec);
        CHECK((ec == asio::error::eof || ec == asio::error::connection_reset));
    }
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), f.g->ws_port()});
    CHECK(get_keep_alive(s).find("404") != std::string::npos);
}

namespace {

// Lets every message and handler already queued on worker 0 run (a few hops: a local reply may
// resume its caller through the mailbox and then through the io_context).
void settle(hearth::node& n) {
    for (int i = 0; i < 3; ++i) {
        std::promise<void> done;
        n.worker_at(0).post_function([&done](hearth::worker&) { done.set_value(); });
        done.get_future().wait();
        hearth::testing::run_on(n, 0, []() -> hearth::awaitable<void> { co_return; });
    }
}

// A client with `count` Responses queued for it that it has not read (more than its socket's
// receive window), which keeps sending a Heartbeat every millisecond (from a second thread, on a
// dup of its socket) once the gate is closing it.
struct busy_reader {
    static constexpr int count = 3000;
    fixture& f;
    test_client c;
    std::atomic<bool> stop{false};
    std::thread beats;
    std::uint64_t expected_bytes = 0;  // bytes_out once every Response and the kick are written
    int responses = 0;

    // A small receive buffer keeps most of what the gate writes in the gate's send buffer until
    // the client reads it, as a mobile client's does.
    explicit busy_reader(fixture& fx) : f(fx), c(test_client::kind::tcp, fx.g->tcp_port(), "/", 8 * 1024) {
        REQUIRE(c.handshake()["code"] == 200);
        auto hb = c.next();  // the Heartbeat that follows the ack: nothing else is sent unasked
        REQUIRE(hb);
        REQUIRE(hb->type == session::packet_type::heartbeat);
        REQUIRE(hearth::testing::eventually([&] { return f.counter("hearth_gate_packets_out_total") == 2; }));
        expected_bytes = f.counter("hearth_gate_bytes_out_total");
        json pad;
        pad["pad"] = std::string(500, 'x');
        for (int i = 1; i <= count; ++i) {
            c.request(static_cast<std::uint64_t>(i), "echo.echo", pad);
            std::string packet;
            REQUIRE_FALSE(session::encode_response_packet(packet, static_cast<std::uint64_t>(i), pad.dump()));
            expected_bytes += packet.size();
        }
        // Every Response is queued (the node has one worker) before the gate closes the session.
        REQUIRE(hearth::testing::eventually([&] { return f.echo->calls.load() == count; }));
        settle(f.n);
    }
    ~busy_reader() { finish(); }

    void start_heartbeats() {
        const int fd = ::dup(c.native_handle());
        REQUIRE(fd >= 0);
        beats = std::thread([this, fd] {
            std::string hb;
            (void)session::encode_packet(hb, session::packet_type::heartbeat, "");
            while (!stop && ::send(fd, hb.data(), hb.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(hb.size()))
                std::this_thread::sleep_for(1ms);  // the client's pace, not a wait
            ::close(fd);
        });
    }
    // Waits until the gate has handed every Response and the Kick to its socket: most of it
    // is still in the gate's send buffer, since we have read nothing yet.
    void wait_written(const std::string& reason) {
        json k;
        k["reason"] = reason;
        std::string kick;
        REQUIRE_FALSE(session::encode_packet(kick, session::packet_type::kick, k.dump()));
        REQUIRE(hearth::testing::eventually(
            [&] { return f.counter("hearth_gate_bytes_out_total") >= expected_bytes + kick.size(); }));
    }
    void finish() {
        stop = true;
        if (beats.joinable()) beats.join();
    }
    // Reads until the server's EOF (or an error); counts the Responses, in order.
    void read_all() {
        for (;;) {
            auto p = c.next(10s);
            if (!p) break;
            if (p->type != session::packet_type::data) continue;
            session::message m;
            REQUIRE_FALSE(session::decode_message(p->body, nullptr, m));
            if (m.type == session::message_type::response &&
                m.id == static_cast<std::uint64_t>(responses + 1))
                ++responses;
        }
        CHECK(c.closed());
        finish();
    }
};

}  // namespace

TEST_CASE("gate: a kick reaches a client that is still sending, after everything queued before it",
          "[gate][kick]") {
    fixture f({}, 1);
    busy_reader client(f);
    auto page = hearth::testing::run_on(f.n, 0, [&] { return f.g->list_sessions(0, 10); });
    REQUIRE(page.items.size() == 1);
    const auto id = page.items[0].id;
    CHECK(hearth::testing::run_on(f.n, 0, [&] { return f.g->kick_session(id, "go away"); }));
    client.start_heartbeats();
    client.wait_written("go away");
    client.read_all();
    CHECK(client.responses == busy_reader::count);
    REQUIRE_FALSE(client.c.kick_body().empty());
    CHECK(json::parse(client.c.kick_body())["reason"] == "go away");
    CHECK(hearth::testing::eventually([&] { return f.g->session_count() == 0; }));
}

TEST_CASE("gate: the shutdown kick reaches a client that is still sending, after everything queued",
          "[gate][kick]") {
    auto f = std::make_unique<fixture>(session::gate_options{}, 1);
    busy_reader client(*f);
    auto stopping = std::async(std::launch::async, [&f] { return f->n.stop(); });
    client.start_heartbeats();
    client.wait_written("server shutting down");
    client.read_all();
    CHECK(client.responses == busy_reader::count);
    REQUIRE_FALSE(client.c.kick_body().empty());
    CHECK(json::parse(client.c.kick_body())["reason"] == "server shutting down");
    client.c.close();
    CHECK(stopping.get().ok());
}

TEST_CASE("gate: every server-initiated WebSocket close sends a close frame with a code", "[gate][kick]") {
    fixture f;
    SECTION("kick") {
        test_client c(test_client::kind::ws, f.g->ws_port());
        REQUIRE(c.handshake()["code"] == 200);
        json k;
        k["reason"] = "go away";
        c.request(1, "room.kick", k);
        CHECK(c.wait_closed());
        CHECK(c.close_code() == 1000);
        CHECK(c.close_reason() == "go away");
    }
    SECTION("protocol error") {
        test_client c(test_client::kind::ws, f.g->ws_port());
        REQUIRE(c.handshake()["code"] == 200);
        c.send_raw(std::string("\x09\x00\x00\x00", 4));  // no such packet type
        CHECK(c.wait_closed());
        CHECK(c.close_code() == 1002);
        CHECK(json::parse(c.kick_body())["reason"] == "protocol error: unknown_packet_type");
    }
    SECTION("packet over max_packet_body") {
        test_client c(test_client::kind::ws, f.g->ws_port());
        REQUIRE(c.handshake()["code"] == 200);
        c.send_raw(std::string("\x04\x7f\xff\xff", 4));
        CHECK(c.wait_closed());
        CHECK(c.close_code() == 1009);
    }
    SECTION("handshake timeout") {
        session::gate_options o;
        o.handshake_timeout = 100ms;
        fixture g(o);
        test_client c(test_client::kind::ws, g.g->ws_port());
        CHECK(c.wait_closed());
        CHECK(c.close_code() == 1001);
    }
}

TEST_CASE("gate: the WebSocket port upgrades on any path unless restricted to ws_path", "[gate][ws]") {
    SECTION("default: any path, as the standard clients expect") {
        fixture f;
        for (const char* path : {"/", "/ws", "/anything?x=1"}) {
            test_client c(test_client::kind::ws, f.g->ws_port(), path);
            CHECK(c.handshake()["code"] == 200);
        }
    }
    SECTION("ws_path_only") {
        session::gate_options o;
        o.ws_path = "/game";
        o.ws_path_only = true;
        fixture f(o);
        test_client c(test_client::kind::ws, f.g->ws_port(), "/game");
        CHECK(c.handshake()["code"] == 200);
        CHECK_THROWS(test_client(test_client::kind::ws, f.g->ws_port(), "/"));
        CHECK(f.g->ws_url() == "ws://127.0.0.1:" + std::to_string(f.g->ws_port()) + "/game");
    }
    SECTION("the JSON form") {
        auto o =
            session::gate_options::from_json(json::parse(R"({"ws_path":"/x","ws_path_only":true})")).value();
        CHECK(o.ws_path_only);
        CHECK_FALSE(session::gate_options::from_json(json::object())->ws_path_only);
        const auto bad = session::gate_options::from_json(json::parse(R"({"ws_path_only":1})"));
        REQUIRE_FALSE(bad);
        CHECK(bad.code() == std::errc::invalid_argument);
    }
}

TEST_CASE("gate: the WebSocket port's HTTP phase is bounded by the handshake timeout", "[gate][ws]") {
    session::gate_options o;
    o.handshake_timeout = 200ms;
    fixture f(o);
    namespace asio = boost::asio;
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), f.g->ws_port()});
    asio::write(s, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n")));  // never finished
    const auto start = steady::now();
    boost::system::error_code ec;
    char buf[64];
    while (!ec) s.read_some(asio::buffer(buf), ec);
    // Closed by the deadline (not by a read that never ends).
    CHECK(steady::now() - start < 5s);
}

namespace {

// Sends `request` as is on the WebSocket port and returns everything the gate answers until it
// closes the connection (bounded: the gate closes within its handshake timeout).
std::string http_exchange(std::uint16_t port, const std::string& request) {
    namespace asio = boost::asio;
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), port});
    asio::write(s, asio::buffer(request));
    std::string got;
    boost::system::error_code ec;
    char buf[4096];
    while (!ec) {
        auto n = s.read_some(asio::buffer(buf), ec);
        got.append(buf, n);
    }
    return got;
}

}  // namespace

TEST_CASE("gate: a request the WebSocket port cannot read gets an HTTP error status", "[gate][ws]") {
    fixture f;
    const auto port = f.g->ws_port();
    SECTION("a target longer than the header limit") {
        const auto got =
            http_exchange(port, "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(got.rfind("HTTP/1.1 431 ", 0) == 0);
    }
    SECTION("a WebSocket upgrade with a target longer than the header limit") {
        const auto got = http_exchange(port, "GET /" + std::string(9000, 'a') +
                                                 " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                                 "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        CHECK(got.rfind("HTTP/1.1 431 ", 0) == 0);
    }
    SECTION("not HTTP") {
        CHECK(http_exchange(port, "GARBAGE\r\n\r\n").rfind("HTTP/1.1 400 ", 0) == 0);
    }
    SECTION("a NUL in the target") {
        CHECK(http_exchange(port, std::string("GET /\0 HTTP/1.1\r\n\r\n", 20)).rfind("HTTP/1.1 400 ", 0) ==
              0);
    }
    SECTION("a body over the limit") {
        const auto got = http_exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
        CHECK(got.rfind("HTTP/1.1 413 ", 0) == 0);
    }
}

TEST_CASE("gate: shutdown ends WebSocket-port connections that have not upgraded, at once",
          "[gate][ws][kick]") {
    namespace asio = boost::asio;
    session::gate_options o;
    o.handshake_timeout = 60s;  // only the drain can end them within the test
    o.static_files["/index.html"] = session::static_file{"text/html", "<h1>hi</h1>"};
    auto f = std::make_unique<fixture>(o);
    asio::io_context io;
    std::vector<std::unique_ptr<asio::ip::tcp::socket>> sockets;
    auto open = [&](const std::string& send) {
        auto s = std::make_unique<asio::ip::tcp::socket>(io);
        s->connect({asio::ip::make_address("127.0.0.1"), f->g->ws_port()});
        if (!send.empty()) asio::write(*s, asio::buffer(send));
        sockets.push_back(std::move(s));
    };
    open("");                                             // connected, silent
    open("GET / HTTP/1.1\r\nHost: x\r\n");                // a request never finished
    open("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");  // a browser's keep-alive
    std::string page;
    {
        char buf[4096];
        while (page.find("<h1>hi</h1>") == std::string::npos) {
            auto n = sockets.back()->read_some(asio::buffer(buf));
            page.append(buf, n);
        }
    }
    // A WebSocket session too, so the drain has a Kick to deliver as well.
    test_client ws(test_client::kind::ws, f->g->ws_port());
    REQUIRE(ws.handshake()["code"] == 200);
    REQUIRE(hearth::testing::eventually([&] { return f->g->session_count() == 4; }));

    auto stopping = std::async(std::launch::async, [&f] { return f->n.stop(); });
    CHECK(ws.wait_closed());
    CHECK(json::parse(ws.kick_body())["reason"] == "server shutting down");
    ws.close();
    // The node stops promptly and without a failed step (not at the kick step's deadline).
    REQUIRE(stopping.wait_for(10s) == std::future_status::ready);
    auto report = stopping.get();
    CHECK(report.ok());
    auto step = std::find_if(report.steps.begin(), report.steps.end(),
                             [](const auto& s) { return s.name == "gate 'gate': kick clients"; });
    REQUIRE(step != report.steps.end());
    CHECK(step->ok);
    CHECK(step->took < std::chrono::milliseconds(1000));
    // And every connection was ended (EOF or reset), none left open.
    std::size_t ended = 0;
    std::vector<std::array<char, 256>> bufs(sockets.size());
    std::function<void(std::size_t)> read_until_end = [&](std::size_t i) {
        sockets[i]->async_read_some(asio::buffer(bufs[i]), [&, i](boost::system::error_code ec, std::size_t) {
            if (ec)
                ++ended;
            else
                read_until_end(i);
        });
    };
    for (std::size_t i = 0; i < sockets.size(); ++i) read_until_end(i);
    io.run_for(5s);
    CHECK(ended == sockets.size());
}

TEST_CASE("gate: a port outside 0..65535 is a listen error, not another port", "[gate]") {
    session::gate_options o;
    o.host = "127.0.0.1";
    o.tcp_port = 70000;  // 70000 mod 65536 would be 4464
    o.ws_port = -1;
    hearth::node n(hearth::testing::test_config("gate-1", 1));
    auto& g = n.add_service<session::gate>("gate", std::move(o));
    n.start();
    CHECK_FALSE(g.wait_listening(5s));
    CHECK(g.listen_error().find("70000") != std::string::npos);
    CHECK(g.tcp_port() == 0);
    n.stop();
}
