// Session resume (docs/resume.md) over real sockets: a connection reset through a fault proxy
// while a service pushes 1,000 messages a second and requests are in flight, then a resume on
// TCP or WebSocket, on the session's worker or another: every push and every response arrives
// exactly once, in order, checked by content. Grace expiry, refused tokens, half-open takeover,
// buffer overflow, kicks and logouts.

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include "framework/node.hpp"
#include "framework/timer.hpp"
#include "session/gate.hpp"
#include "session/group.hpp"
#include "session/ref.hpp"
#include "tests/framework/harness.hpp"
#include "tests/session/test_client.hpp"
#include "tests/support/fault_proxy.hpp"

using namespace std::chrono_literals;
using hearth::testing::test_client;
using json = nlohmann::json;
namespace session = hearth::session;
namespace asio = boost::asio;
using kind = test_client::kind;

namespace {

inline constexpr hearth::rpc::method<json, json> feed_start{"feed.start"};
inline constexpr hearth::rpc::method<json, json> feed_echo{"feed.echo"};
inline constexpr hearth::rpc::method<json, json> feed_kick{"feed.kick"};

// feed.start {count, every_ms}: pushes "onTick" {"i": 0..count-1} to the caller, one every
// every_ms (1 ms = 1,000 a second), from a task that outlives the request. feed.echo {id}:
// answers {id} after 3 ms, and remembers the id (what the gate forwarded). feed.kick: kicks the
// caller. Counts the session_closed events it gets.
class feed_service : public hearth::service {
  public:
    std::atomic<int> closed_events{0};
    std::atomic<int> pushed{0};

    feed_service() {
        handle(feed_start, &feed_service::on_feed_start);
        handle(feed_echo, &feed_service::on_echo);
        handle(feed_kick, &feed_service::on_kick);
        handle(session::closed, &feed_service::on_closed);
    }

    std::set<std::uint64_t> served() {
        std::lock_guard lock(mutex_);
        return served_;
    }
    std::vector<std::string> close_reasons() {
        std::lock_guard lock(mutex_);
        return reasons_;
    }

  private:
    hearth::awaitable<hearth::result<json>> on_feed_start(const hearth::call_context& ctx, json req) {
        auto s = session::ref::from(ctx);
        if (!s) co_return hearth::app_error("no_session", "clients only");
        members_.add(*s);
        auto ex = co_await asio::this_coro::executor;
        asio::co_spawn(ex, run(*s, req.value("count", 100), req.value("every_ms", 1), req.value("pad", 0)),
                       asio::detached);
        co_return json::object();
    }
    hearth::awaitable<void> run(session::ref s, int count, int every_ms, int pad) {
        for (int i = 0; i < count; ++i) {
            json tick;
            tick["i"] = i;
            if (pad > 0) tick["pad"] = std::string(static_cast<std::size_t>(pad), 'x');
            s.push("onTick", tick);
            pushed.fetch_add(1);
            if (every_ms > 0) co_await hearth::sleep(std::chrono::milliseconds(every_ms));
        }
    }
    hearth::awaitable<json> on_echo(json req) {
        {
            std::lock_guard lock(mutex_);
            served_.insert(req.value("id", std::uint64_t{0}));
        }
        co_await hearth::sleep(3ms);
        co_return req;
    }
    hearth::awaitable<json> on_kick(const hearth::call_context& ctx, json) {
        session::ref::from(ctx)->kick("bye");
        co_return json::object();
    }
    hearth::awaitable<void> on_closed(session::session_closed ev) {
        members_.remove(session::ref(ev.gate_node, ev.session_id));
        {
            std::lock_guard lock(mutex_);
            reasons_.push_back(ev.reason);
        }
        closed_events.fetch_add(1);
        co_return;
    }

    session::group members_;
    std::mutex mutex_;
    std::set<std::uint64_t> served_;
    std::vector<std::string> reasons_;
};

struct resume_fixture {
    explicit resume_fixture(session::resume_options r = default_resume(), unsigned threads = 2,
                            const std::function<void(session::gate_options&)>& tweak = {})
        : n(hearth::testing::test_config("gate-1", threads)) {
        session::gate_options o;
        o.host = "127.0.0.1";
        o.tcp_port = 0;
        o.ws_port = 0;
        o.resume = r;
        if (tweak) tweak(o);
        g = &n.add_service<session::gate>("gate", std::move(o));
        feed = &n.add_service<feed_service>("feed");
        n.start();
        REQUIRE(g->wait_listening(5s));
        proxy_thread = std::thread([this] { proxy_io.run(); });
        proxy = std::make_unique<hearth::test::fault_proxy>(
            proxy_io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), g->tcp_port()));
    }
    ~resume_fixture() {
        proxy.reset();
        work.reset();
        proxy_io.stop();
        proxy_thread.join();
        n.stop();
    }
    static session::resume_options default_resume() {
        session::resume_options r;
        r.enabled = true;
        r.grace = 10s;
        return r;
    }
    std::uint16_t port(kind k) const { return k == kind::ws ? g->ws_port() : g->tcp_port(); }

    /// The worker a session token names (its id's low 8 bits).
    static unsigned worker_of_token(const std::string& token) {
        return static_cast<unsigned>(std::stoull(token.substr(0, token.find('.')), nullptr, 16) & 0xff);
    }
    /// Opens connections that the gate places round-robin until the next one will land on a
    /// worker (!= avoid when `other`, == avoid otherwise); each probe learns its worker from its
    /// own token.
    void steer(unsigned session_worker, bool other) {
        for (int i = 0; i < 8; ++i) {
            test_client probe(kind::ws, g->ws_port());  // logs out: nothing stays parked
            auto hs = probe.handshake();
            const unsigned w = worker_of_token(hs["sys"]["resume"]["token"].get<std::string>());
            const unsigned next = (w + 1) % n.worker_count();
            probe.logout();
            if ((next != session_worker) == other) return;
        }
        FAIL("could not steer the next connection's worker");
    }

    hearth::node n;
    session::gate* g = nullptr;
    feed_service* feed = nullptr;
    asio::io_context proxy_io;
    asio::executor_work_guard<asio::io_context::executor_type> work{proxy_io.get_executor()};
    std::thread proxy_thread;
    std::unique_ptr<hearth::test::fault_proxy> proxy;
};

// What a client saw, by content: the ticks in arrival order, the response ids, and K (Response
// and Push packets received on the session so far, the count a resume sends).
struct seen {
    std::vector<int> ticks;
    std::vector<std::uint64_t> responses;
    std::uint64_t received = 0;
    std::string kick;
};

// Reads one packet (answering Heartbeats); false on timeout or close.
bool read_one(test_client& c, seen& s, std::chrono::milliseconds timeout = 5s) {
    auto p = c.next(timeout);
    if (!p) return false;
    if (p->type == session::packet_type::heartbeat) {
        c.send_raw(session::heartbeat_packet);
        return true;
    }
    if (p->type == session::packet_type::kick) {
        s.kick = p->body;
        return true;
    }
    if (p->type != session::packet_type::data) return true;
    session::message m;
    REQUIRE_FALSE(session::decode_message(p->body, nullptr, m));
    ++s.received;
    if (m.type == session::message_type::push) {
        REQUIRE(m.route == "onTick");
        s.ticks.push_back(json::parse(m.payload)["i"].get<int>());
    } else {
        REQUIRE(m.type == session::message_type::response);
        REQUIRE_FALSE(m.error);
        const auto body = json::parse(m.payload);
        if (body.contains("id")) REQUIRE(body["id"] == m.id);  // feed.echo answers its own id
        s.responses.push_back(m.id);
    }
    return true;
}

// A TCP session that asked the feed for `ticks` pushes, read them all (and the Response), then
// lost its connection; returns its token once the gate has it parked.
std::string park(resume_fixture& f, seen& s, int ticks = 0) {
    const std::size_t parked = f.g->parked_count();
    test_client c(kind::tcp, f.g->tcp_port());
    std::string token = c.handshake()["sys"]["resume"]["token"];
    c.request(1, "feed.start", json{{"count", ticks}, {"every_ms", 0}});
    while (s.received < static_cast<std::uint64_t>(ticks) + 1) REQUIRE(read_one(c, s));
    c.close();
    REQUIRE(hearth::testing::eventually([&] { return f.g->parked_count() == parked + 1; }, 5s));
    return token;
}

json resume_sys(const std::string& token, std::uint64_t received) {
    return json{{"resume", {{"token", token}, {"received", received}}}};
}

// The whole scenario of the issue: pushes at 1,000/s and requests in flight, a reset through
// the proxy, a resume on `again` (on the session's worker or another), then everything once.
void reset_and_resume(kind again, bool other_worker) {
    resume_fixture f;
    constexpr int ticks = 1500;
    auto c = std::make_unique<test_client>(kind::tcp, f.proxy->port());
    auto hs = c->handshake();
    REQUIRE(hs["code"] == 200);
    REQUIRE(hs["sys"]["resume"]["resumed"] == false);
    REQUIRE(hs["sys"]["resume"]["grace"] == 10);
    std::string token = hs["sys"]["resume"]["token"];
    const unsigned home = resume_fixture::worker_of_token(token);

    seen s;
    std::uint64_t next_id = 1;
    std::set<std::uint64_t> sent;
    c->request(next_id, "feed.start", json{{"count", ticks}, {"every_ms", 1}});
    sent.insert(next_id++);
    // Four echo requests in flight at all times until the reset.
    auto keep_in_flight = [&](test_client& client) {
        while (sent.size() - s.responses.size() < 4) {
            client.request(next_id, "feed.echo", json{{"id", next_id}});
            sent.insert(next_id++);
        }
    };
    while (s.ticks.size() < 300) {
        keep_in_flight(*c);
        REQUIRE(read_one(*c, s));
    }
    keep_in_flight(*c);
    f.proxy->reset_all();
    REQUIRE(c->wait_closed(5s));
    c.reset();
    REQUIRE(hearth::testing::eventually([&] { return f.g->parked_count() == 1; }, 5s));

    f.steer(home, other_worker);
    test_client d(again, f.port(again));
    hs = d.handshake(json::object(), resume_sys(token, s.received));
    REQUIRE(hs["code"] == 200);
    REQUIRE(hs["sys"]["resume"]["resumed"] == true);
    REQUIRE(hs["sys"]["resume"]["token"] != token);
    CHECK(f.g->parked_count() == 0);
    // Every tick, then every response of a request the service got.
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (static_cast<int>(s.ticks.size()) < ticks && std::chrono::steady_clock::now() < deadline)
        REQUIRE(read_one(d, s));
    REQUIRE(static_cast<int>(s.ticks.size()) == ticks);
    for (int i = 0; i < ticks; ++i) REQUIRE(s.ticks[static_cast<std::size_t>(i)] == i);  // once, in order
    std::set<std::uint64_t> expected = f.feed->served();
    expected.insert(1);  // feed.start's own response
    while (s.responses.size() < expected.size() && std::chrono::steady_clock::now() < deadline)
        REQUIRE(read_one(d, s));
    std::vector<std::uint64_t> sorted = s.responses;
    std::sort(sorted.begin(), sorted.end());
    REQUIRE(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());  // none twice
    REQUIRE(std::set<std::uint64_t>(sorted.begin(), sorted.end()) == expected);
    // Requests the proxy dropped were never forwarded: they are the only ones unanswered.
    for (auto id : sent)
        if (!expected.count(id)) CHECK(id > 1);
    CHECK(f.g->stats().resumes.value() == 1);
    CHECK(f.g->stats().replayed.value() > 0);
    // The session went on: it is one session, not closed, and it still serves requests.
    CHECK(f.feed->closed_events.load() == 0);
    d.request(next_id, "feed.echo", json{{"id", next_id}});
    auto r = d.next_response();
    REQUIRE(r);
    CHECK(r->body["id"] == next_id);
}

}  // namespace

TEST_CASE(
    "resume: a TCP reset under 1,000 pushes/s and requests in flight, resumed over TCP on another worker",
    "[resume]") {
    reset_and_resume(kind::tcp, true);
}

TEST_CASE("resume: a TCP reset, resumed over WebSocket on the session's own worker", "[resume]") {
    reset_and_resume(kind::ws, false);
}

TEST_CASE("resume: a TCP reset, resumed over WebSocket on another worker", "[resume]") {
    reset_and_resume(kind::ws, true);
}

TEST_CASE("resume: the grace ends: session_closed once, the service forgets the player, a late resume is new",
          "[resume]") {
    auto r = resume_fixture::default_resume();
    r.grace = 300ms;
    resume_fixture f(r);
    auto c = std::make_unique<test_client>(kind::tcp, f.g->tcp_port());
    auto hs = c->handshake();
    const std::string token = hs["sys"]["resume"]["token"];
    CHECK(hs["sys"]["resume"]["grace"] == 0.3);
    c->request(1, "feed.start", json{{"count", 0}});
    REQUIRE(c->next_response());
    c->close();
    c.reset();
    REQUIRE(hearth::testing::eventually([&] { return f.g->parked_count() == 1; }, 5s));
    CHECK(f.feed->closed_events.load() == 0);  // parked, not closed
    REQUIRE(hearth::testing::eventually([&] { return f.feed->closed_events.load() == 1; }, 5s));
    CHECK(f.feed->close_reasons() == std::vector<std::string>{"resume grace expired"});
    CHECK(f.g->parked_count() == 0);
    CHECK(f.g->stats().resume_expired.value() == 1);
    test_client late(kind::tcp, f.g->tcp_port());
    hs = late.handshake(json::object(), resume_sys(token, 1));
    REQUIRE(hs["code"] == 200);
    CHECK(hs["sys"]["resume"]["resumed"] == false);
    CHECK(hs["sys"]["resume"]["token"] != token);
    CHECK(f.feed->closed_events.load() == 1);  // exactly once
}

TEST_CASE("resume: tokens that do not resume get a new session; the parked session behaves as specified",
          "[resume]") {
    resume_fixture f;
    // Over WebSocket, logging out after (nothing new stays parked), or over TCP, dropped after.
    auto attempt = [&](const json& sys, kind k = kind::ws) {
        test_client c(k, f.port(k));
        auto hs = c.handshake(json::object(), sys);
        REQUIRE(hs["code"] == 200);
        if (k == kind::ws) c.logout();
        return hs["sys"]["resume"]["resumed"].get<bool>();
    };
    auto refused = [&](const char* reason) {
        for (auto& [label, counter] : f.g->stats().resume_refused)
            if (label == reason) return counter->value();
        return std::uint64_t{0};
    };
    seen a, b;
    const std::string ta = park(f, a, 3);  // the response and three ticks
    const std::string tb = park(f, b, 3);

    SECTION("malformed and unknown tokens, and another session's secret, leave the parked sessions alone") {
        CHECK_FALSE(attempt(json{{"resume", "yes"}}));
        CHECK_FALSE(attempt(resume_sys("not a token", 0)));
        CHECK(refused("malformed") == 2);
        CHECK_FALSE(attempt(resume_sys("ffffff00." + std::string(32, '0'), 0)));
        CHECK(refused("unknown") == 1);
        // a's session id with b's secret: a token of another session.
        const std::string mixed = ta.substr(0, ta.find('.')) + tb.substr(tb.find('.'));
        CHECK_FALSE(attempt(resume_sys(mixed, a.received)));
        CHECK(refused("bad_token") == 1);
        CHECK(f.g->parked_count() == 2);
        CHECK(attempt(resume_sys(ta, a.received)));  // a's own token still works (then a logout)
        CHECK(attempt(resume_sys(tb, b.received)));
        REQUIRE(hearth::testing::eventually([&] { return f.feed->closed_events.load() == 2; }, 5s));
        CHECK(f.feed->close_reasons() == std::vector<std::string>{"client closed", "client closed"});
    }
    SECTION("a reused token is refused: it was single use") {
        CHECK(attempt(resume_sys(ta, a.received), kind::tcp));  // resumed, then dropped: parked again
        REQUIRE(hearth::testing::eventually([&] { return f.g->parked_count() == 2; }, 5s));
        CHECK_FALSE(attempt(resume_sys(ta, a.received)));
        CHECK(refused("bad_token") == 1);
    }
    SECTION("a count larger than what was sent ends the old session at once") {
        CHECK_FALSE(attempt(resume_sys(ta, a.received + 1)));
        CHECK(refused("ahead") == 1);
        REQUIRE(hearth::testing::eventually([&] { return f.feed->closed_events.load() == 1; }, 5s));
        CHECK(f.g->parked_count() == 1);
        CHECK_FALSE(attempt(resume_sys(ta, a.received)));  // gone
    }
}

TEST_CASE("resume: a count older than the replay buffer holds is refused and ends the old session",
          "[resume]") {
    auto r = resume_fixture::default_resume();
    r.buffer_packets = 5;
    resume_fixture f(r);
    seen s;
    const std::string token = park(f, s, 20);
    test_client d(kind::tcp, f.g->tcp_port());
    auto hs = d.handshake(json::object(), resume_sys(token, 3));  // packets 4.. are gone
    CHECK(hs["sys"]["resume"]["resumed"] == false);
    REQUIRE(hearth::testing::eventually([&] { return f.feed->closed_events.load() == 1; }, 5s));
}

TEST_CASE("resume: half-open: a resume takes the session over and closes the old connection", "[resume]") {
    resume_fixture f;
    test_client old(kind::tcp, f.g->tcp_port());
    const std::string token = old.handshake()["sys"]["resume"]["token"];
    seen s;
    old.request(1, "feed.start", json{{"count", 0}});
    while (s.received < 1) REQUIRE(read_one(old, s));
    // The old connection is still open as far as the gate knows.
    test_client d(kind::ws, f.g->ws_port());
    auto hs = d.handshake(json::object(), resume_sys(token, s.received));
    REQUIRE(hs["sys"]["resume"]["resumed"] == true);
    CHECK(old.wait_closed(5s));
    d.request(2, "feed.echo", json{{"id", 2}});
    auto r = d.next_response();
    REQUIRE(r);
    CHECK(r->body["id"] == 2);
    CHECK(f.feed->closed_events.load() == 0);
    CHECK(f.g->parked_count() == 0);
}

TEST_CASE("resume: a replay buffer that would overflow while parked closes the session and counts it",
          "[resume]") {
    auto r = resume_fixture::default_resume();
    r.buffer_packets = 50;
    resume_fixture f(r);
    seen s;
    const std::string token = park(f, s);
    // 60 pushes to the parked session's ref, from a worker as a service would: over the 50 kept.
    session::ref parked("gate-1", std::stoull(token.substr(0, token.find('.')), nullptr, 16));
    for (int i = 0; i < 60; ++i)
        f.n.worker_at(0).post_function([parked, i](hearth::worker&) {
            parked.push("onTick", json{{"i", i}});
        });
    REQUIRE(hearth::testing::eventually([&] { return f.feed->closed_events.load() == 1; }, 5s));
    CHECK(f.feed->close_reasons() == std::vector<std::string>{"resume buffer full"});
    CHECK(f.g->stats().resume_overflow.value() == 1);
    CHECK(f.g->parked_count() == 0);
    test_client d(kind::tcp, f.g->tcp_port());
    CHECK(d.handshake(json::object(), resume_sys(token, 1))["sys"]["resume"]["resumed"] == false);
}

TEST_CASE("resume: a kick is never resumable, and a WebSocket close 1000 is a logout", "[resume]") {
    resume_fixture f;
    SECTION("kick") {
        test_client c(kind::tcp, f.g->tcp_port());
        const std::string token = c.handshake()["sys"]["resume"]["token"];
        c.request(1, "feed.kick", json::object());
        seen s;
        while (s.kick.empty()) REQUIRE(read_one(c, s));
        REQUIRE(c.wait_closed(5s));
        REQUIRE(hearth::testing::eventually([&] { return f.feed->closed_events.load() == 1; }, 5s));
        CHECK(f.g->parked_count() == 0);
        test_client d(kind::tcp, f.g->tcp_port());
        CHECK(d.handshake(json::object(), resume_sys(token, s.received))["sys"]["resume"]["resumed"] ==
              false);
    }
    SECTION("logout") {
        test_client c(kind::ws, f.g->ws_port());
        c.handshake();
        c.request(1, "feed.start", json{{"count", 0}});
        REQUIRE(c.next_response());
        c.logout();  // a close frame with 1000
        REQUIRE(hearth::testing::eventually([&] { return f.feed->closed_events.load() == 1; }, 5s));
        CHECK(f.g->parked_count() == 0);
    }
}

TEST_CASE("resume: off by default: no token, and a dropped connection closes the session", "[resume]") {
    session::resume_options off;
    resume_fixture f(off);
    test_client c(kind::tcp, f.g->tcp_port());
    auto hs = c.handshake(json::object(), resume_sys("1.00000000000000000000000000000000", 0));
    REQUIRE(hs["code"] == 200);
    CHECK_FALSE(hs["sys"].contains("resume"));
    c.request(1, "feed.start", json{{"count", 0}});
    REQUIRE(c.next_response());
    c.close();
    REQUIRE(hearth::testing::eventually([&] { return f.feed->closed_events.load() == 1; }, 5s));
    CHECK(f.g->parked_count() == 0);
}

TEST_CASE("resume: max_parked_sessions closes the session parked longest; the gate lists parked sessions",
          "[resume]") {
    auto r = resume_fixture::default_resume();
    r.max_parked_sessions = 2;
    resume_fixture f(r);
    std::vector<std::string> tokens;
    for (int i = 0; i < 3; ++i) {
        test_client c(kind::tcp, f.g->tcp_port());
        tokens.push_back(c.handshake()["sys"]["resume"]["token"]);
        c.request(1, "feed.start", json{{"count", 0}});
        REQUIRE(c.next_response());
        c.close();
        REQUIRE(hearth::testing::eventually(
            [&] { return f.g->parked_count() == static_cast<std::size_t>(std::min(i + 1, 2)); }, 5s));
        // Parked in this order: the next one parks strictly later.
        REQUIRE(hearth::testing::eventually(
            [&] { return f.feed->closed_events.load() == std::max(0, i - 1); }, 5s));
    }
    CHECK(f.feed->close_reasons() == std::vector<std::string>{"too many parked sessions"});
    auto page =
        asio::co_spawn(f.n.worker_at(0).executor(), f.g->list_sessions(0, 100), asio::use_future).get();
    CHECK(page.total == 2);
    for (const auto& s : page.items) {
        CHECK(s.parked_since.has_value());
        CHECK(*s.parked_since >= s.since);
    }
    test_client first(kind::tcp, f.g->tcp_port());
    CHECK(first.handshake(json::object(), resume_sys(tokens[0], 1))["sys"]["resume"]["resumed"] == false);
    test_client third(kind::ws, f.g->ws_port());
    CHECK(third.handshake(json::object(), resume_sys(tokens[2], 1))["sys"]["resume"]["resumed"] == true);
    page = asio::co_spawn(f.n.worker_at(0).executor(), f.g->list_sessions(0, 100), asio::use_future).get();
    int parked = 0;
    for (const auto& s : page.items) parked += s.parked_since.has_value() ? 1 : 0;
    CHECK(parked == 1);  // the second; the third is connected again
}

TEST_CASE(
    "resume: a client that stopped reading (write queue full) parks, and its replay is larger than the queue",
    "[resume]") {
    session::resume_options r = resume_fixture::default_resume();
    r.buffer_bytes = 16 * 1024 * 1024;
    r.buffer_packets = 100000;
    resume_fixture f(r, 2, [](session::gate_options& g) {
        g.max_queued_packets = 16;
        g.max_queued_bytes = 64 * 1024;
    });
    constexpr int ticks = 1500;
    auto c = std::make_unique<test_client>(kind::tcp, f.g->tcp_port(), "/ws", 4096);
    const std::string token = c->handshake()["sys"]["resume"]["token"];
    c->request(1, "feed.start", json{{"count", ticks}, {"every_ms", 0}, {"pad", 2000}});
    // Not reading: the gate's queue fills and the session parks.
    REQUIRE(hearth::testing::eventually([&] { return f.g->parked_count() == 1; }, 10s));
    CHECK(f.g->stats().slow_kicked.value() == 1);
    seen s;
    while (!c->closed()) {
        if (!read_one(*c, s, 2s)) break;
    }
    c.reset();
    // Everything is pushed (into the replay buffer) before the resume: a burst of live pushes
    // beyond the 16-packet queue would close the new connection as a slow client, as it would
    // any connection.
    REQUIRE(hearth::testing::eventually([&] { return f.feed->pushed.load() == ticks; }, 10s));
    test_client d(kind::tcp, f.g->tcp_port());
    auto hs = d.handshake(json::object(), resume_sys(token, s.received));
    REQUIRE(hs["sys"]["resume"]["resumed"] == true);
    while (static_cast<int>(s.ticks.size()) < ticks) {
        INFO("ticks " << s.ticks.size() << ", closed " << d.closed() << ", parked " << f.g->parked_count()
                      << ", sessions closed " << f.feed->closed_events.load() << ", pushed "
                      << f.feed->pushed.load());
        REQUIRE(read_one(d, s));
    }
    for (int i = 0; i < ticks; ++i) REQUIRE(s.ticks[static_cast<std::size_t>(i)] == i);
    CHECK(f.feed->closed_events.load() == 0);
}

TEST_CASE("resume: a protocol error on a resumed connection ends the session", "[resume]") {
    const kind k = GENERATE(kind::tcp, kind::ws);
    resume_fixture f;
    seen s;
    const std::string token = park(f, s);
    test_client d(k, f.port(k));
    auto hs = d.handshake(json::object(), resume_sys(token, s.received));
    REQUIRE(hs["sys"]["resume"]["resumed"] == true);
    const std::string next = hs["sys"]["resume"]["token"];
    d.send_packet(session::packet_type::handshake, "{}");  // a second handshake: a protocol error
    REQUIRE(hearth::testing::eventually([&] { return f.feed->closed_events.load() == 1; }, 5s));
    CHECK(f.feed->close_reasons().front().rfind("kicked: protocol error", 0) == 0);
    CHECK(f.g->parked_count() == 0);
    test_client e(kind::tcp, f.g->tcp_port());
    CHECK(e.handshake(json::object(), resume_sys(next, s.received))["sys"]["resume"]["resumed"] == false);
}
