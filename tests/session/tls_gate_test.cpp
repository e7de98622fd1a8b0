// The gate's guarantees over its TLS ports (tls_port: the TCP framing inside TLS; wss_port:
// WebSocket over TLS), with real TLS clients on 127.0.0.1 and the test PKI written to a
// temporary folder: kicks end with close_notify, slow clients are dropped by the write-queue
// limits, the handshake timeout bounds the TLS handshake, max_connections counts TLS
// connections, client certificates, certificate reload, and the TLS metrics.

#include "session/gate.hpp"

#include <array>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>

#include "framework/node.hpp"
#include "session/ref.hpp"
#include "tests/framework/harness.hpp"
#include "tests/session/test_client.hpp"
#include "tests/session/tls_pki.hpp"

using namespace std::chrono_literals;
using hearth::testing::test_client;
using hearth::testing::tls_client_options;
using hearth::testing::tls_pki;
using json = nlohmann::json;
namespace session = hearth::session;
namespace asio = boost::asio;
using kind = test_client::kind;
using steady = std::chrono::steady_clock;

namespace {

inline constexpr hearth::rpc::method<json, json> echo_m{"room.echo"};
inline constexpr hearth::rpc::method<json, json> kick_m{"room.kick"};
inline constexpr hearth::rpc::method<json, json> flood_m{"room.flood"};

// room.echo answers its payload; room.kick {reason} kicks the caller; room.flood {size, count}
// pushes `count` strings of `size` bytes to the caller.
class room_service : public hearth::service {
  public:
    room_service() {
        handle(echo_m, &room_service::on_echo);
        handle(kick_m, &room_service::on_kick);
        handle(flood_m, &room_service::on_flood);
    }

  private:
    hearth::awaitable<json> on_echo(json j) { co_return j; }
    hearth::awaitable<json> on_kick(const hearth::call_context& ctx, json req) {
        session::ref::from(ctx)->kick(req.value("reason", std::string("bye")));
        co_return json::object();
    }
    hearth::awaitable<json> on_flood(const hearth::call_context& ctx, json req) {
        auto s = session::ref::from(ctx);
        const std::string blob(req.value("size", 1000), 'x');
        for (int i = 0; i < req.value("count", 10); ++i) s->push("onFlood", blob);
        co_return json::object();
    }
};

// A gate "gate" with every port on (any free port) and the test PKI's server certificate, and
// the room service. `configure` adjusts the options before the start.
struct tls_fixture {
    using configure_fn = std::function<void(session::gate_options&, const tls_pki&)>;

    explicit tls_fixture(const configure_fn& configure = {}, unsigned threads = 2)
        : n(hearth::testing::test_config("gate-1", threads)) {
        session::gate_options o;
        o.host = "127.0.0.1";
        o.tcp_port = 0;
        o.ws_port = 0;
        o.tls_port = 0;
        o.wss_port = 0;
        o.tls = pki.server();
        if (configure) configure(o, pki);
        g = &n.add_service<session::gate>("gate", std::move(o));
        n.add_service<room_service>("room");
        n.start();
        REQUIRE(g->wait_listening(5s));
    }
    ~tls_fixture() { n.stop(); }

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

    // The gate's counters, read from the node's registry (names and help as gate.cpp has them).
    std::uint64_t handshakes() {
        return n.metrics()
            .counter("hearth_gate_tls_handshakes_total", "TLS handshakes completed on the tls and wss ports.",
                     {{"gate", "gate"}})
            .value();
    }
    std::uint64_t tls_errors(const char* reason) {
        return n.metrics()
            .counter("hearth_gate_tls_errors_total",
                     "TLS handshakes on the tls and wss ports that failed, by reason.",
                     {{"gate", "gate"}, {"reason", reason}})
            .value();
    }
    std::uint64_t rejected(const char* reason) {
        return n.metrics()
            .counter("hearth_gate_rejected_total",
                     "Client connections refused and closed at once, by reason (max_connections, "
                     "per_address_connections, per_address_rate).",
                     {{"gate", "gate"}, {"reason", reason}})
            .value();
    }
    std::uint64_t slow_kicked() {
        return n.metrics()
            .counter("hearth_gate_slow_clients_kicked_total",
                     "Clients closed because their write queue was full.", {{"gate", "gate"}})
            .value();
    }
    std::uint64_t all_tls_errors() {
        std::uint64_t sum = 0;
        for (const char* r : {"protocol_version", "no_certificate", "bad_certificate", "not_tls",
                              "no_shared_cipher", "eof", "timeout", "other"})
            sum += tls_errors(r);
        return sum;
    }

    tls_pki pki;  // before the node: the gate loads the files when it starts
    hearth::node n;
    session::gate* g = nullptr;
};

// One request/response round trip on a session that did its handshake.
bool echoes(test_client& c, std::uint64_t id) {
    json p;
    p["id"] = id;
    c.request(id, "room.echo", p);
    auto r = c.next_response();
    return r && r->id == id && !r->error && r->body == p;
}

// True when the gate refuses the client: its TLS handshake or WebSocket upgrade fails, or (TLS
// 1.3, where the client's side of the handshake is done before the server has checked the
// client's certificate) the connection ends without a handshake reply.
bool refused(kind k, std::uint16_t port, const tls_client_options& o) {
    try {
        test_client c(k, port, o);
        if (!c.handshake().is_null()) return false;
        return c.closed();
    } catch (const std::exception&) {
        return true;
    }
}

// The SHA-256 fingerprint of the first certificate of a PEM file, as tls_context prints it.
std::string file_fingerprint(const std::string& path) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), &BIO_free);
    REQUIRE(bio);
    std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                     &X509_free);
    REQUIRE(cert);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    REQUIRE(X509_digest(cert.get(), EVP_sha256(), md, &size) == 1);
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        if (i) out += ':';
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

// A raw TCP connection whose end (EOF, reset, any error) is recorded with its time.
struct raw_connection {
    asio::ip::tcp::socket socket;
    steady::time_point opened;
    std::optional<steady::time_point> ended;
    std::array<char, 4096> buf{};

    // `opened` is taken before connecting, so the gate's deadline starts after it.
    raw_connection(asio::io_context& io, std::uint16_t port) : socket(io), opened(steady::now()) {
        socket.connect({asio::ip::make_address("127.0.0.1"), port});
    }
    void watch() {
        socket.async_read_some(asio::buffer(buf), [this](boost::system::error_code ec, std::size_t) {
            if (ec)
                ended = steady::now();
            else
                watch();
        });
    }
    std::chrono::milliseconds lived() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(*ended - opened);
    }
};

}  // namespace

TEST_CASE("tls gate: request/response and pushes over TLS and WSS; the gate's certificate is verified",
          "[tls]") {
    tls_fixture f;
    CHECK(f.g->tls_url() == "tls://127.0.0.1:" + std::to_string(f.g->tls_port()));
    CHECK(f.g->wss_url() == "wss://127.0.0.1:" + std::to_string(f.g->wss_port()) + "/ws");
    for (auto k : {kind::tls, kind::wss}) {
        INFO("transport " << hearth::testing::kind_name(k));
        test_client c(k, f.port(k), f.pki.client());
        CHECK(c.tls_version() == "TLSv1.3");
        CHECK(c.peer_certificate_sha256() == f.g->tls()->fingerprint_sha256());
        CHECK(c.peer_certificate_sha256() == file_fingerprint(f.pki.file("server.pem")));
        REQUIRE(c.handshake()["code"] == 200);
        CHECK(echoes(c, 1));
        json flood;
        flood["size"] = 100;
        flood["count"] = 3;
        c.request(2, "room.flood", flood);
        for (int i = 0; i < 3; ++i) {
            auto p = c.next_push();
            REQUIRE(p);
            CHECK(p->route == "onFlood");
        }
        // TLS 1.2 (the oldest version the gate accepts by default) works too.
        auto o = f.pki.client();
        o.tls12_only = true;
        test_client old(k, f.port(k), o);
        CHECK(old.tls_version() == "TLSv1.2");
        REQUIRE(old.handshake()["code"] == 200);
        CHECK(echoes(old, 1));
    }
    // A client that trusts another CA refuses the gate's certificate; so does one that expects
    // another name.
    auto other_ca = f.pki.client();
    other_ca.ca_file = f.pki.file("other_ca.pem");
    CHECK_THROWS(test_client(kind::tls, f.port(kind::tls), other_ca));
    auto other_name = f.pki.client();
    other_name.server_name = "game.example";
    CHECK_THROWS(test_client(kind::wss, f.port(kind::wss), other_name));
}

TEST_CASE("tls gate: a kick is delivered, then close_notify: the client sees a clean end of stream",
          "[tls][kick]") {
    tls_fixture f;
    for (auto k : {kind::tls, kind::wss}) {
        INFO("transport " << hearth::testing::kind_name(k));
        test_client c(k, f.port(k), f.pki.client());
        REQUIRE(c.handshake()["code"] == 200);
        REQUIRE(echoes(c, 1));
        json req;
        req["reason"] = std::string("go away over ") + hearth::testing::kind_name(k);
        c.request(2, "room.kick", req);
        std::optional<hearth::testing::owned_packet> kick;
        while (auto p = c.next()) {
            if (p->type == session::packet_type::kick) {
                kick = std::move(p);
                break;
            }
        }
        REQUIRE(kick);
        CHECK(json::parse(kick->body)["reason"] == req["reason"]);
        // The Kick is the last thing sent; then the stream ends cleanly.
        CHECK_FALSE(c.next());
        REQUIRE(c.closed());
        INFO("the stream ended with: " << c.close_error().message());
        if (k == kind::tls) {
            // close_notify, then the TCP half-close: EOF, not a truncation.
            CHECK(c.close_error() != asio::ssl::error::stream_truncated);
            CHECK(c.close_error() == asio::error::eof);
        } else {
            CHECK(c.close_error() == boost::beast::websocket::error::closed);
            CHECK(c.close_code() == 1000);
            CHECK(c.close_reason() == req["reason"]);
        }
        c.close();
        CHECK(hearth::testing::eventually([&] { return f.g->session_count() == 0; }));
    }
}

TEST_CASE("tls gate: a client that never reads is kicked by the write-queue limits over TLS and WSS",
          "[tls][slow]") {
    for (auto k : {kind::tls, kind::wss}) {
        INFO("transport " << hearth::testing::kind_name(k));
        tls_fixture f([](session::gate_options& o, const tls_pki&) {
            o.max_queued_bytes = 256 * 1024;
            o.max_queued_packets = 1000;
        });
        test_client c(k, f.port(k), f.pki.client());
        REQUIRE(c.handshake()["code"] == 200);
        json flood;
        flood["size"] = 16000;
        flood["count"] = 2000;  // 32 MB of pushes; the client reads none of it for now
        c.request(1, "room.flood", flood);
        REQUIRE(hearth::testing::eventually([&] { return f.slow_kicked() >= 1; }));
        CHECK(hearth::testing::eventually([&] { return f.g->session_count() == 0; }));
        CHECK(c.wait_closed(10s));
        // The other TLS port still serves.
        const auto other = k == kind::tls ? kind::wss : kind::tls;
        test_client d(other, f.port(other), f.pki.client());
        REQUIRE(d.handshake()["code"] == 200);
        CHECK(echoes(d, 1));
    }
}

TEST_CASE("tls gate: the handshake timeout bounds clients that stall or send garbage on the TLS ports",
          "[tls][handshake]") {
    constexpr auto timeout = 1000ms;
    constexpr auto slack = 2000ms;
    tls_fixture f([&](session::gate_options& o, const tls_pki&) { o.handshake_timeout = timeout; });
    for (auto k : {kind::tls, kind::wss}) {
        INFO("transport " << hearth::testing::kind_name(k));
        const auto timeouts = f.tls_errors("timeout");
        const auto not_tls = f.tls_errors("not_tls");
        asio::io_context io;
        raw_connection silent(io, f.port(k));   // opens TCP, sends nothing
        raw_connection partial(io, f.port(k));  // a TLS record header, then nothing
        raw_connection garbage(io, f.port(k));  // bytes that are no TLS at all
        raw_connection http(io, f.port(k));     // plain HTTP on the TLS port
        asio::write(partial.socket, asio::buffer(std::string("\x16\x03\x01\x02\x00\x01", 6)));
        asio::write(garbage.socket, asio::buffer(std::string("\xff\xfe garbage \x00\x01\x02\r\n\r\n", 18)));
        asio::write(http.socket, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")));
        for (auto* r : {&silent, &partial, &garbage, &http}) r->watch();

        // Meanwhile a real client completes its TLS handshake and its session.
        test_client good(k, f.port(k), f.pki.client());
        REQUIRE(good.handshake()["code"] == 200);
        CHECK(echoes(good, 1));

        const auto until = steady::now() + timeout + slack;
        while (!(silent.ended && partial.ended && garbage.ended && http.ended) && steady::now() < until)
            io.run_one_until(until);
        REQUIRE(silent.ended);
        REQUIRE(partial.ended);
        REQUIRE(garbage.ended);
        REQUIRE(http.ended);
        // The stalled ones were closed by the deadline, the others at once or by the deadline.
        CHECK(silent.lived() >= timeout);
        CHECK(partial.lived() >= timeout);
        for (auto* r : {&silent, &partial, &garbage, &http}) CHECK(r->lived() < timeout + slack);
        CHECK(hearth::testing::eventually([&] { return f.tls_errors("timeout") >= timeouts + 2; }));
        CHECK(hearth::testing::eventually([&] { return f.tls_errors("not_tls") >= not_tls + 1; }));

        // The session that completed its handshake is not bound by the handshake timeout.
        CHECK(echoes(good, 2));
        CHECK(hearth::testing::eventually([&] { return f.g->session_count() == 1; }));
    }
}

TEST_CASE("tls gate: max_connections counts TLS and WSS connections", "[tls][limits]") {
    tls_fixture f([](session::gate_options& o, const tls_pki&) { o.max_connections = 1; });
    {
        test_client a(kind::tls, f.port(kind::tls), f.pki.client());
        REQUIRE(a.handshake()["code"] == 200);
        // Refused at accept, before a TLS handshake is spent on them.
        CHECK(refused(kind::tls, f.port(kind::tls), f.pki.client()));
        CHECK(refused(kind::wss, f.port(kind::wss), f.pki.client()));
        test_client plain(kind::tcp, f.port(kind::tcp));
        CHECK(plain.wait_closed());
        CHECK(hearth::testing::eventually([&] { return f.rejected("max_connections") == 3; }));
        CHECK(f.handshakes() == 1);
        CHECK(echoes(a, 1));
    }
    REQUIRE(hearth::testing::eventually([&] { return f.g->session_count() == 0; }));
    test_client w(kind::wss, f.port(kind::wss), f.pki.client());
    REQUIRE(w.handshake()["code"] == 200);
    CHECK(refused(kind::tls, f.port(kind::tls), f.pki.client()));
    CHECK_THROWS(test_client(kind::ws, f.port(kind::ws)));  // the upgrade never gets an answer
    CHECK(hearth::testing::eventually([&] { return f.rejected("max_connections") == 5; }));
    CHECK(echoes(w, 1));
    CHECK(f.handshakes() == 2);
}

TEST_CASE("tls gate: with a client CA, a client certificate is required", "[tls][client-cert]") {
    tls_fixture f([](session::gate_options& o, const tls_pki& pki) { o.tls.ca_file = pki.file("ca.pem"); });
    for (auto k : {kind::tls, kind::wss}) {
        INFO("transport " << hearth::testing::kind_name(k));
        const auto no_cert = f.tls_errors("no_certificate");
        const auto bad_cert = f.tls_errors("bad_certificate");
        CHECK(refused(k, f.port(k), f.pki.client()));
        auto tls12 = f.pki.client();
        tls12.tls12_only = true;
        CHECK(refused(k, f.port(k), tls12));
        CHECK(hearth::testing::eventually([&] { return f.tls_errors("no_certificate") == no_cert + 2; }));
        // A certificate from another CA.
        CHECK(refused(k, f.port(k), f.pki.client_with("other_client")));
        CHECK(hearth::testing::eventually([&] { return f.tls_errors("bad_certificate") == bad_cert + 1; }));

        test_client ok(k, f.port(k), f.pki.client_with("client"));
        REQUIRE(ok.handshake()["code"] == 200);
        CHECK(echoes(ok, 1));
        auto ok12 = f.pki.client_with("client");
        ok12.tls12_only = true;
        test_client ok_tls12(k, f.port(k), ok12);
        REQUIRE(ok_tls12.handshake()["code"] == 200);
        CHECK(echoes(ok_tls12, 1));
    }
    CHECK(hearth::testing::eventually([&] { return f.g->session_count() == 0; }));
}

TEST_CASE("tls gate: reload_tls presents the new certificate to new connections only", "[tls][reload]") {
    namespace fs = std::filesystem;
    std::string live_pem, live_key;
    tls_fixture f([&](session::gate_options& o, const tls_pki& pki) {
        live_pem = pki.file("live.pem");
        live_key = pki.file("live.key");
        fs::copy_file(pki.file("server.pem"), live_pem);
        fs::copy_file(pki.file("server.key"), live_key);
        o.tls.certificate_chain_file = live_pem;
        o.tls.private_key_file = live_key;
    });
    const std::string old_fp = file_fingerprint(f.pki.file("server.pem"));
    const std::string new_fp = file_fingerprint(f.pki.file("server2.pem"));
    REQUIRE(old_fp != new_fp);
    REQUIRE(f.g->tls()->fingerprint_sha256() == old_fp);

    std::vector<std::unique_ptr<test_client>> before;
    for (auto k : {kind::tls, kind::wss}) {
        before.push_back(std::make_unique<test_client>(k, f.port(k), f.pki.client()));
        REQUIRE(before.back()->handshake()["code"] == 200);
        CHECK(before.back()->peer_certificate_sha256() == old_fp);
    }

    fs::copy_file(f.pki.file("server2.pem"), live_pem, fs::copy_options::overwrite_existing);
    fs::copy_file(f.pki.file("server2.key"), live_key, fs::copy_options::overwrite_existing);
    const auto reloaded = f.g->reload_tls();
    REQUIRE(reloaded);
    CHECK(*reloaded == new_fp);
    CHECK(f.g->tls()->fingerprint_sha256() == new_fp);

    // Open sessions carry on with theirs.
    for (auto& c : before) CHECK(echoes(*c, 1));
    // New connections get the new certificate.
    for (auto k : {kind::tls, kind::wss}) {
        INFO("transport " << hearth::testing::kind_name(k));
        test_client c(k, f.port(k), f.pki.client());
        CHECK(c.peer_certificate_sha256() == new_fp);
        REQUIRE(c.handshake()["code"] == 200);
        CHECK(echoes(c, 1));
    }

    SECTION("a certificate file that is not PEM: the failure names it, the certificate stays") {
        hearth::test::write_text_file(live_pem, "not a certificate\n");
        const auto failed = f.g->reload_tls();
        REQUIRE_FALSE(failed);
        CHECK(failed.code() == std::errc::invalid_argument);
        INFO("message: " << failed.error().message);
        CHECK(failed.error().message.find(live_pem) != std::string::npos);
    }
    SECTION("a missing key file: the failure names it, the certificate stays") {
        fs::remove(live_key);
        const auto failed = f.g->reload_tls();
        REQUIRE_FALSE(failed);
        CHECK(failed.code() == std::errc::invalid_argument);
        INFO("message: " << failed.error().message);
        CHECK(failed.error().message.find(live_key) != std::string::npos);
    }
    SECTION("a key that does not match the certificate: the failure says so, the certificate stays") {
        fs::copy_file(f.pki.file("server.key"), live_key, fs::copy_options::overwrite_existing);
        const auto failed = f.g->reload_tls();
        REQUIRE_FALSE(failed);
        CHECK(failed.code() == std::errc::invalid_argument);
        INFO("message: " << failed.error().message);
        CHECK(failed.error().message.find(live_key) != std::string::npos);
    }
    CHECK(f.g->tls()->fingerprint_sha256() == new_fp);
    for (auto k : {kind::tls, kind::wss}) {
        INFO("transport " << hearth::testing::kind_name(k));
        test_client c(k, f.port(k), f.pki.client());
        CHECK(c.peer_certificate_sha256() == new_fp);
        REQUIRE(c.handshake()["code"] == 200);
        CHECK(echoes(c, 2));
    }
    for (auto& c : before) CHECK(echoes(*c, 3));
}

TEST_CASE("tls gate: reload_tls on a gate without TLS ports is not supported", "[tls][reload]") {
    hearth::node n(hearth::testing::test_config("gate-1", 1));
    session::gate_options o;
    o.host = "127.0.0.1";
    o.tcp_port = 0;
    o.ws_port = -1;
    auto& g = n.add_service<session::gate>("gate", std::move(o));
    n.start();
    REQUIRE(g.wait_listening(5s));
    CHECK(g.tls() == nullptr);
    CHECK(g.tls_port() == 0);
    const auto r = g.reload_tls();
    REQUIRE_FALSE(r);
    CHECK(r.code() == std::errc::operation_not_supported);
    n.stop();
}

TEST_CASE("tls gate: TLS handshakes and their failures are counted by reason", "[tls][metrics]") {
    tls_fixture f([](session::gate_options& o, const tls_pki&) { o.handshake_timeout = 500ms; });
    REQUIRE(f.handshakes() == 0);
    REQUIRE(f.all_tls_errors() == 0);
    std::uint64_t handshakes = 0;
    std::uint64_t errors = 0;
    for (auto k : {kind::tls, kind::wss}) {
        INFO("transport " << hearth::testing::kind_name(k));
        {
            test_client c(k, f.port(k), f.pki.client());
            REQUIRE(c.handshake()["code"] == 200);
        }
        ++handshakes;
        CHECK(hearth::testing::eventually([&] { return f.handshakes() == handshakes; }));

        const auto expect = [&](const char* reason, auto&& provoke) {
            INFO("reason " << reason);
            const auto before = f.tls_errors(reason);
            provoke();
            ++errors;
            CHECK(hearth::testing::eventually([&] { return f.tls_errors(reason) == before + 1; }));
        };
        expect("not_tls", [&] {
            asio::io_context io;
            raw_connection http(io, f.port(k));
            asio::write(http.socket, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")));
            http.watch();
            io.run_for(5s);
            CHECK(http.ended);
        });
        expect("timeout", [&] {
            asio::io_context io;
            raw_connection silent(io, f.port(k));
            silent.watch();
            io.run_for(5s);
            CHECK(silent.ended);
        });
        expect("eof", [&] {
            asio::io_context io;
            raw_connection quitter(io, f.port(k));
            // Half a ClientHello, then the client goes away.
            asio::write(quitter.socket, asio::buffer(std::string("\x16\x03\x01\x02\x00\x01", 6)));
            quitter.socket.shutdown(asio::ip::tcp::socket::shutdown_send);
            quitter.watch();
            io.run_for(5s);
            CHECK(quitter.ended);
        });
        expect("bad_certificate", [&] {
            // The client does not trust the gate's certificate and says so (alert unknown_ca).
            auto o = f.pki.client();
            o.ca_file = f.pki.file("other_ca.pem");
            CHECK(refused(k, f.port(k), o));
        });
        // Every failure was counted once, under its reason.
        CHECK(hearth::testing::eventually([&] { return f.all_tls_errors() == errors; }));
    }
    CHECK(f.handshakes() == handshakes);
}

TEST_CASE("tls gate: a TLS 1.2 client on a gate that requires TLS 1.3 counts as protocol_version",
          "[tls][metrics]") {
    tls_fixture f([](session::gate_options& o, const tls_pki&) { o.tls.min_version = "1.3"; });
    auto o = f.pki.client();
    o.tls12_only = true;
    for (auto k : {kind::tls, kind::wss}) CHECK(refused(k, f.port(k), o));
    CHECK(hearth::testing::eventually([&] { return f.tls_errors("protocol_version") == 2; }));
    CHECK(f.all_tls_errors() == 2);
    CHECK(f.handshakes() == 0);
    test_client c(kind::tls, f.port(kind::tls), f.pki.client());
    REQUIRE(c.handshake()["code"] == 200);
    CHECK(hearth::testing::eventually([&] { return f.handshakes() == 1; }));
}
