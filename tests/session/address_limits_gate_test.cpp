// Per-address connection limits of a gate over real sockets on 127.0.0.1 (loopback's
// exemption turned off): refusals at once on the TCP and WebSocket ports, counted by reason,
// existing sessions unaffected, slots and table entries given back when connections close.
#include <chrono>
#include <string>

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "framework/node.hpp"
#include "session/gate.hpp"
#include "tests/framework/harness.hpp"
#include "tests/session/test_client.hpp"

namespace session = hearth::session;
using json = nlohmann::json;
using namespace std::chrono_literals;
using hearth::testing::test_client;

namespace {

inline constexpr hearth::rpc::method<json, json> echo_m{"echo.echo"};

class echo_service : public hearth::service {
  public:
    echo_service() { handle(echo_m, &echo_service::on_echo); }

  private:
    hearth::awaitable<json> on_echo(json j) { co_return j; }
};

struct fixture {
    explicit fixture(session::gate_options o, std::string host = "127.0.0.1")
        : n(hearth::testing::test_config("gate-1", 2)) {
        o.host = std::move(host);
        o.tcp_port = 0;
        o.ws_port = 0;
        g = &n.add_service<session::gate>("gate", std::move(o));
        n.add_service<echo_service>("echo");
        n.start();
        REQUIRE(g->wait_listening(5s));
    }
    ~fixture() { n.stop(); }

    // The value of `name{...}` whose labels contain `labels` (0 when absent).
    double metric(const std::string& name, const std::string& labels = "") {
        const auto text = n.metrics().render();
        for (std::size_t pos = text.find(name + "{"); pos != std::string::npos;
             pos = text.find(name + "{", pos + 1)) {
            const auto end = text.find("} ", pos);
            if (labels.empty() || text.substr(pos, end - pos).find(labels) != std::string::npos)
                return std::stod(text.substr(end + 2));
        }
        return 0;
    }
    double refused(const char* reason) {
        return metric("hearth_gate_rejected_total", std::string("reason=\"") + reason + "\"");
    }
    double tracked() { return metric("hearth_gate_tracked_addresses"); }

    hearth::node n;
    session::gate* g = nullptr;
};

// A client that works: handshake, then a request answered.
void check_working(test_client& c, std::uint64_t id) {
    json body;
    body["n"] = id;
    c.request(id, "echo.echo", body);
    auto r = c.next_response();
    REQUIRE(r);
    CHECK(r->body == body);
}

// Connects to `port` and sends nothing: true when the gate closes the connection within
// `within` without sending a byte (refused at accept). False when it stays open.
bool refused_silently(std::uint16_t port, std::chrono::milliseconds within = 3s) {
    test_client c(test_client::kind::tcp, port);
    return c.wait_closed(within) && c.kick_body().empty();
}

// Opens a raw socket to the WebSocket port and sends an upgrade request: true when the gate
// closes it without a single byte of HTTP (no 101, no status): refused before the upgrade.
bool ws_refused_before_upgrade(std::uint16_t port) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    const std::string req =
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    boost::system::error_code ec;
    boost::asio::write(s, boost::asio::buffer(req), ec);  // may fail if already reset
    char buf[512];
    std::size_t got = 0;
    // A blocking read: the gate either closes (EOF/reset) or answers (bytes); the socket's
    // SO_RCVTIMEO bounds a gate that does neither.
    timeval tv{5, 0};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (;;) {
        const auto n = s.read_some(boost::asio::buffer(buf), ec);
        got += n;
        if (ec) break;
    }
    return got == 0 && (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset);
}

}  // namespace

TEST_CASE("per-address limits: max connections per address on the TCP and WebSocket ports",
          "[gate][address_limits]") {
    session::gate_options o;
    o.max_connections_per_address = 2;
    o.exempt_loopback = false;  // the tests' clients are all 127.0.0.1
    fixture f(o);

    test_client a(test_client::kind::tcp, f.g->tcp_port());
    REQUIRE(a.handshake()["code"] == 200);
    test_client b(test_client::kind::ws, f.g->ws_port());
    REQUIRE(b.handshake()["code"] == 200);
    CHECK(f.tracked() == 1);

    // The third connection from 127.0.0.1 is closed at once, before any byte, on either port.
    CHECK(refused_silently(f.g->tcp_port()));
    CHECK(f.refused("per_address_connections") == 1);
    CHECK(ws_refused_before_upgrade(f.g->ws_port()));
    CHECK(f.refused("per_address_connections") == 2);
    CHECK(f.refused("max_connections") == 0);
    CHECK(f.refused("per_address_rate") == 0);

    // The open sessions did not notice.
    check_working(a, 1);
    check_working(b, 2);

    // One closes: its slot is free again (the release reaches the gate's home worker after
    // the session closed; wait for the count, then the next connection is admitted).
    a.close();
    REQUIRE(hearth::testing::eventually([&] { return f.g->session_count() == 1; }));
    REQUIRE(hearth::testing::eventually([&] {
        test_client c(test_client::kind::tcp, f.g->tcp_port());
        const auto hs = c.handshake();
        return hs.is_object() && hs.value("code", 0) == 200;
    }));
    check_working(b, 3);

    // Everyone gone: the table is empty.
    b.close();
    REQUIRE(hearth::testing::eventually([&] { return f.g->session_count() == 0; }));
    CHECK(hearth::testing::eventually([&] { return f.tracked() == 0; }));
}

TEST_CASE("per-address limits: the rate bucket refuses burst + 1 and admits again after refill",
          "[gate][address_limits]") {
    session::gate_options o;
    o.connection_rate_per_address = 1;   // one new connection per second
    o.connection_burst_per_address = 2;  // two at once
    o.exempt_loopback = false;
    fixture f(o);

    {
        test_client a(test_client::kind::tcp, f.g->tcp_port());
        REQUIRE(a.handshake()["code"] == 200);
        test_client b(test_client::kind::ws, f.g->ws_port());
        REQUIRE(b.handshake()["code"] == 200);
        // The third within the second (the bucket holds 2 and gains 1 per second).
        CHECK(refused_silently(f.g->tcp_port()));
        CHECK(f.refused("per_address_rate") == 1);
        CHECK(f.refused("per_address_connections") == 0);
        check_working(a, 1);
        check_working(b, 2);
    }
    // Both closed: the entry stays until its bucket is full again (at most 2 s), then the
    // table is empty; a full bucket admits a burst again.
    REQUIRE(hearth::testing::eventually([&] { return f.g->session_count() == 0; }));
    CHECK(f.tracked() == 1);
    REQUIRE(hearth::testing::eventually([&] { return f.tracked() == 0; }, 5s));
    test_client c(test_client::kind::tcp, f.g->tcp_port());
    REQUIRE(c.handshake()["code"] == 200);
    test_client d(test_client::kind::tcp, f.g->tcp_port());
    REQUIRE(d.handshake()["code"] == 200);
    check_working(c, 3);
    CHECK(f.refused("per_address_rate") == 1);
}

TEST_CASE("per-address limits: trusted networks and loopback are exempt", "[gate][address_limits]") {
    session::gate_options trusted;
    trusted.max_connections_per_address = 1;
    trusted.connection_rate_per_address = 0.001;
    trusted.exempt_loopback = false;
    trusted.trusted_networks = {"192.0.2.0/24", "127.0.0.0/8"};

    session::gate_options loopback;  // the default: loopback exempt
    loopback.max_connections_per_address = 1;
    loopback.connection_rate_per_address = 0.001;

    for (auto* o : {&trusted, &loopback}) {
        fixture f(*o);
        test_client a(test_client::kind::tcp, f.g->tcp_port());
        REQUIRE(a.handshake()["code"] == 200);
        test_client b(test_client::kind::tcp, f.g->tcp_port());
        REQUIRE(b.handshake()["code"] == 200);
        test_client c(test_client::kind::ws, f.g->ws_port());
        REQUIRE(c.handshake()["code"] == 200);
        check_working(a, 1);
        check_working(c, 2);
        CHECK(f.refused("per_address_connections") == 0);
        CHECK(f.refused("per_address_rate") == 0);
        CHECK(f.tracked() == 0);  // exempt addresses take no table entry
    }
}

TEST_CASE("per-address limits: an invalid network in options built in code stops the gate from listening",
          "[gate][address_limits]") {
    hearth::node n(hearth::testing::test_config("gate-1", 1));
    session::gate_options o;
    o.host = "127.0.0.1";
    o.tcp_port = 0;
    o.ws_port = -1;
    o.trusted_networks = {"10.0.0.0/8", "10.0.0.0/99"};
    auto& g = n.add_service<session::gate>("gate", o);
    n.start();
    CHECK_FALSE(g.wait_listening(5s));
    CHECK(g.listen_error().find("'10.0.0.0/99'") != std::string::npos);
    CHECK(g.tcp_port() == 0);
    n.stop();
}

TEST_CASE("per-address limits: an IPv4 client of a dual-stack listener counts as its IPv4 address",
          "[gate][address_limits]") {
    // A gate listening on "::" sees 127.0.0.1 as ::ffff:127.0.0.1. It must be the same
    // address for the count, and loopback (127.0.0.0/8) for the exemption.
    {
        boost::asio::io_context io;
        boost::asio::ip::tcp::acceptor probe(io);
        boost::system::error_code ec;
        probe.open(boost::asio::ip::tcp::v6(), ec);
        if (!ec) probe.bind({boost::asio::ip::address_v6::any(), 0}, ec);
        if (ec) {
            WARN("no IPv6 on this machine (" << ec.message() << "): dual-stack case not run");
            return;
        }
    }
    session::gate_options counted;
    counted.max_connections_per_address = 1;
    counted.exempt_loopback = false;
    {
        fixture f(counted, "::");
        test_client a(test_client::kind::tcp, f.g->tcp_port());
        REQUIRE(a.handshake()["code"] == 200);
        CHECK(refused_silently(f.g->tcp_port()));
        CHECK(f.refused("per_address_connections") == 1);
        check_working(a, 1);
    }
    session::gate_options trusted = counted;
    trusted.trusted_networks = {"127.0.0.1/32"};  // an IPv4 network matches the mapped address
    session::gate_options loopback = counted;
    loopback.exempt_loopback = true;
    for (auto* o : {&trusted, &loopback}) {
        fixture f(*o, "::");
        test_client a(test_client::kind::tcp, f.g->tcp_port());
        REQUIRE(a.handshake()["code"] == 200);
        test_client b(test_client::kind::tcp, f.g->tcp_port());
        REQUIRE(b.handshake()["code"] == 200);
        CHECK(f.refused("per_address_connections") == 0);
        CHECK(f.tracked() == 0);
    }
}
