#include "framework/admin.hpp"

#include <catch2/catch.hpp>

#include <thread>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "framework/metrics.hpp"
#include "tests/framework/harness.hpp"
#include "tests/framework/http_client.hpp"
#include "tests/framework/test_services.hpp"

using namespace hearth;
using namespace hearth::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct admin_fixture {
    node n{test_config("admin-node", 2)};
    std::unique_ptr<admin_server> admin;
    explicit admin_fixture(bool open_reads = false) {
        n.add_service<echo_service>("echo");
        n.start();
        admin_config c;
        c.token = "s3cret";
        c.open_reads = open_reads;
        c.max_body = 1024;
        c.request_timeout = 300ms;
        admin = std::make_unique<admin_server>(n, c);
        admin->start();
    }
    http_result get(const std::string& target, const std::string& token = "s3cret") {
        return http_request(admin->port(), "GET", target, {}, token);
    }
};

/// One connection that writes raw bytes and reads with a deadline (nothing sleeps).
class raw_http {
  public:
    explicit raw_http(std::uint16_t port) : socket_(io_) {
        socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    }
    void send(const std::string& bytes) { boost::asio::write(socket_, boost::asio::buffer(bytes)); }
    /// Reads until `what` has arrived (true) or the server closed / the deadline passed (false).
    bool read_until_contains(const std::string& what, std::chrono::milliseconds deadline = 5s) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        while (received_.find(what) == std::string::npos) {
            if (!read_some(until)) return false;
        }
        return true;
    }
    /// Reads until the server closes; false when the deadline passed first.
    bool read_until_closed(std::chrono::milliseconds deadline = 5s) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        while (!closed_)
            if (!read_some(until) && !closed_) return false;
        return true;
    }
    const std::string& received() const { return received_; }
    bool reset() const { return reset_; }
    boost::asio::ip::tcp::socket& socket() { return socket_; }

  private:
    bool read_some(std::chrono::steady_clock::time_point until) {
        if (closed_) return false;
        char buf[65536];
        bool done = false;
        boost::system::error_code ec;
        std::size_t n = 0;
        socket_.async_read_some(boost::asio::buffer(buf), [&](boost::system::error_code e, std::size_t k) {
            ec = e;
            n = k;
            done = true;
        });
        io_.restart();
        io_.run_until(until);
        if (!done) {
            socket_.cancel();
            io_.restart();
            io_.run();
            return false;
        }
        received_.append(buf, n);
        if (ec) {
            closed_ = true;
            reset_ = ec == boost::asio::error::connection_reset;
            return false;
        }
        return true;
    }

    boost::asio::io_context io_;
    boost::asio::ip::tcp::socket socket_;
    std::string received_;
    bool closed_ = false;
    bool reset_ = false;
};

/// Status code of the first (or `index`-th) response in `text`; 0 when there is none.
unsigned status_of(const std::string& text, std::size_t index = 0) {
    std::size_t at = 0;
    for (std::size_t i = 0;; ++i) {
        at = text.find("HTTP/1.", at);
        if (at == std::string::npos || at + 12 > text.size()) return 0;
        if (i == index) return static_cast<unsigned>(std::stoul(text.substr(at + 9, 3)));
        at += 12;
    }
}

/// The value of header `name` (case-insensitive) in the last response head of `text`.
std::string header_of(const std::string& text, std::string name) {
    auto lower = [](std::string v) {
        for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return v;
    };
    const std::string low = lower(text);
    const auto start = low.rfind("http/1.");
    const auto at = low.find("\r\n" + lower(name) + ":", start);
    if (at == std::string::npos) return {};
    auto v = text.substr(at + 3 + name.size(), text.find("\r\n", at + 2) - (at + 3 + name.size()));
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    return v;
}

/// The body of a whole response that ends `text` (after the blank line of its head).
std::string body_of(const std::string& text) {
    const auto start = text.rfind("HTTP/1.");
    const auto blank = text.find("\r\n\r\n", start);
    return blank == std::string::npos ? std::string() : text.substr(blank + 4);
}

/// One request with `Connection: close`, everything read until the server closes.
std::string raw_exchange(std::uint16_t port, const std::string& request) {
    raw_http c(port);
    c.send(request);
    REQUIRE(c.read_until_closed());
    return c.received();
}

/// The value of an unlabelled sample (or the first sample with that exact name+labels prefix).
double sample(const std::string& text, const std::string& name_and_labels) {
    const auto at = text.find("\n" + name_and_labels + " ");
    if (at == std::string::npos) throw std::runtime_error("no sample " + name_and_labels);
    return std::stod(text.substr(at + name_and_labels.size() + 2));
}

}  // namespace

TEST_CASE("admin: read-only routes answer JSON") {
    admin_fixture f;
    auto health = f.get("/health");
    CHECK(health.status == 200);
    CHECK(json::parse(health.body)["status"] == "ok");
    CHECK(health.content_type == "application/json");

    auto node_info = json::parse(f.get("/node").body);
    CHECK(node_info["name"] == "admin-node");
    CHECK(node_info["workers"] == 2);
    CHECK(node_info["services"] == json::array({"echo"}));
    CHECK(node_info["incarnation"].get<std::string>().size() == 16);

    auto services = json::parse(f.get("/services").body);
    REQUIRE(services.size() == 1);
    CHECK(services[0]["name"] == "echo");
    CHECK(services[0]["routes"].size() > 3);
}

TEST_CASE("admin: tokens, unknown routes, wrong methods, bad bodies") {
    admin_fixture f;
    CHECK(f.get("/health", "").status == 401);  // reads are closed by default
    CHECK(f.get("/health", "wrong").status == 403);
    CHECK(f.get("/health", "s3cre").status == 403);    // a prefix of the token
    CHECK(f.get("/health", "s3cret!").status == 403);  // the token plus a byte
    CHECK(http_request(f.admin->port(), "POST", "/shutdown", {}, "").status == 401);
    CHECK(http_request(f.admin->port(), "POST", "/shutdown", {}, "nope").status == 403);
    CHECK_FALSE(f.n.stopping());

    auto missing = f.get("/nowhere");
    CHECK(missing.status == 404);
    CHECK(json::parse(missing.body)["error"].get<std::string>().find("/nowhere") != std::string::npos);

    auto wrong_method = http_request(f.admin->port(), "DELETE", "/health", {}, "s3cret");
    CHECK(wrong_method.status == 405);
    CHECK(wrong_method.allow == "GET, HEAD, OPTIONS");

    auto bad_json = http_request(f.admin->port(), "PUT", "/log-level", "{not json", "s3cret");
    CHECK(bad_json.status == 400);
    CHECK(json::parse(bad_json.body).contains("error"));
    auto bad_level = http_request(f.admin->port(), "PUT", "/log-level", R"({"level":"loud"})", "s3cret");
    CHECK(bad_level.status == 400);

    auto too_big = http_request(f.admin->port(), "PUT", "/log-level", std::string(4096, ' '), "s3cret");
    CHECK(too_big.status == 413);

    // The server keeps serving after all that.
    CHECK(f.get("/health").status == 200);
}

TEST_CASE("admin: open reads, log level, custom routes with parameters") {
    admin_fixture f(true);
    CHECK(f.get("/health", "").status == 200);
    CHECK(http_request(f.admin->port(), "PUT", "/log-level", R"({"level":"debug"})", "").status == 401);
    auto ok = http_request(f.admin->port(), "PUT", "/log-level", R"({"level":"debug"})", "s3cret");
    CHECK(ok.status == 200);
    CHECK(f.n.log_level() == "debug");
    CHECK(json::parse(f.get("/node").body)["log_level"] == "debug");

    f.admin->add_route("POST", "/things/{id}/poke", true,
                       [](const admin_request& r) -> awaitable<admin_response> {
                           if (r.params.at("id") == "bad")
                               throw admin_error(422, "that thing cannot be poked");
                           admin_response res;
                           res.body = {{"poked", r.params.at("id")},
                                       {"twice", r.query.count("twice") ? r.query.at("twice") : ""}};
                           co_return res;
                       });
    auto poked = http_request(f.admin->port(), "POST", "/things/a%20b/poke?twice=yes", {}, "s3cret");
    CHECK(poked.status == 200);
    CHECK(json::parse(poked.body)["poked"] == "a b");
    CHECK(json::parse(poked.body)["twice"] == "yes");
    auto refused = http_request(f.admin->port(), "POST", "/things/bad/poke", {}, "s3cret");
    CHECK(refused.status == 422);
    CHECK(json::parse(refused.body)["error"] == "that thing cannot be poked");
}

TEST_CASE("admin: malformed requests and slow clients are closed, others keep being served") {
    admin_fixture f;
    boost::asio::io_context io;
    using boost::asio::ip::tcp;
    const tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), f.admin->port());

    SECTION("garbage bytes get a 400") {
        tcp::socket s(io);
        s.connect(ep);
        boost::asio::write(s, boost::asio::buffer(std::string("\x01\x02 garbage\r\n\r\n")));
        std::string reply;
        boost::system::error_code ec;
        boost::asio::read(s, boost::asio::dynamic_buffer(reply), ec);  // until the server closes
        CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);
    }
    SECTION("a client that sends half a request is closed after the request timeout") {
        tcp::socket s(io);
        s.connect(ep);
        boost::asio::write(s, boost::asio::buffer(std::string("GET /health HTTP/1.1\r\nHost: x\r\n")));
        std::string reply;
        boost::system::error_code ec;
        boost::asio::read(s, boost::asio::dynamic_buffer(reply), ec);  // returns when the server closes
        CHECK((ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset));
        CHECK(reply.empty());
    }
    CHECK(f.get("/health").status == 200);
}

TEST_CASE("admin: metrics are Prometheus text and counters move") {
    admin_fixture f;
    auto before = f.get("/metrics");
    CHECK(before.status == 200);
    CHECK(before.content_type.find("text/plain") == 0);
    CHECK_THAT(before.body, Catch::Contains("# TYPE hearth_calls_total counter"));
    CHECK_THAT(before.body, Catch::Contains("# TYPE hearth_call_duration_seconds histogram"));
    CHECK_THAT(before.body, Catch::Contains("hearth_mailbox_depth{service=\"echo\"} 0"));
    const double ok_before = sample(before.body, "hearth_calls_total{code=\"ok\"}");
    const double timeouts_before = sample(before.body, "hearth_calls_total{code=\"timeout\"}");

    run_on(f.n, 0, []() -> awaitable<void> {
        for (int i = 0; i < 32; ++i) {
            echo_req req{"m", i};
            (void)co_await call(echo_m, "echo", req, 1s);
        }
        wait_req slow{100, 1};
        (void)co_await call(wait_m, "echo", slow, 5ms);
    });
    auto after = f.get("/metrics").body;
    CHECK(sample(after, "hearth_calls_total{code=\"ok\"}") == ok_before + 32);
    CHECK(sample(after, "hearth_calls_total{code=\"timeout\"}") == timeouts_before + 1);
    CHECK(sample(after, "hearth_call_duration_seconds_count") >= 2);  // one call in 16 is timed
    CHECK(sample(after, "hearth_messages_handled_total") >= 33);
}

TEST_CASE("admin: POST /shutdown stops the node") {
    admin_fixture f;
    auto r = http_request(f.admin->port(), "POST", "/shutdown", {}, "s3cret");
    CHECK(r.status == 202);
    f.n.wait();
    CHECK_FALSE(f.n.running());
    CHECK(f.n.last_shutdown().ok());
}

TEST_CASE("admin: the Bearer scheme is case-insensitive, whitespace around it optional (RFC 9110 11.1)") {
    admin_fixture f;
    const auto port = f.admin->port();
    auto with = [&](const std::string& authorization) {
        return raw_exchange(port, "GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: " + authorization +
                                      "\r\nConnection: close\r\n\r\n");
    };
    for (const char* scheme : {"Bearer", "bearer", "BEARER", "bEaReR"}) {
        CAPTURE(scheme);
        CHECK(status_of(with(std::string(scheme) + " s3cret")) == 200);
    }
    CHECK(status_of(with("Bearer    s3cret")) == 200);  // 1*SP
    // Field names are case-insensitive too.
    CHECK(status_of(raw_exchange(port,
                                 "GET /health HTTP/1.1\r\nhost: x\r\nauthorization: bearer s3cret\r\n"
                                 "connection: close\r\n\r\n")) == 200);
    CHECK(status_of(with("Bearer \t s3cret  ")) == 200);  // trailing OWS
    CHECK(status_of(with("Bearer s3cret2")) == 403);      // longer
    CHECK(status_of(with("Bearer s3cre")) == 403);        // a prefix
    CHECK(status_of(with("Bearer S3CRET")) == 403);       // the token itself is case-sensitive
    for (const char* other : {"Bearers3cret", "Basic czNjcmV0", "Bearer", "Bearer   ", "s3cret"}) {
        CAPTURE(other);
        const auto r = with(other);
        CHECK(status_of(r) == 401);
        CHECK(header_of(r, "WWW-Authenticate") == "Bearer realm=\"hearth-admin\"");
    }
    // Two Authorization headers are ambiguous.
    CHECK(status_of(raw_exchange(port,
                                 "GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n"
                                 "Authorization: Bearer s3cret\r\nConnection: close\r\n\r\n")) == 400);
}

TEST_CASE("admin: 401 says how to authenticate (WWW-Authenticate: Bearer, RFC 9110 15.5.2)") {
    admin_fixture f;
    const auto r = raw_exchange(f.admin->port(),
                                "POST /shutdown HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                                "Connection: close\r\n\r\n");
    CHECK(status_of(r) == 401);
    CHECK(header_of(r, "WWW-Authenticate") == "Bearer realm=\"hearth-admin\"");
    CHECK(header_of(r, "Content-Type") == "application/json");
    CHECK(json::parse(body_of(r)).contains("error"));
    CHECK_FALSE(f.n.stopping());
}

TEST_CASE("admin: methods are case-sensitive; 405 and OPTIONS list Allow; HEAD is GET without the body") {
    admin_fixture f;
    const auto port = f.admin->port();
    const std::string auth = "Authorization: Bearer s3cret\r\nConnection: close\r\n\r\n";

    auto lower = raw_exchange(port, "get /health HTTP/1.1\r\nHost: x\r\n" + auth);
    CHECK(status_of(lower) == 405);
    CHECK(header_of(lower, "Allow") == "GET, HEAD, OPTIONS");
    auto put = raw_exchange(port, "PUT /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n" + auth);
    CHECK(status_of(put) == 405);
    CHECK(json::parse(body_of(put))["allow"] == json::array({"GET", "HEAD", "OPTIONS"}));
    auto log_level = raw_exchange(port, "GET /log-level HTTP/1.1\r\nHost: x\r\n" + auth);
    CHECK(status_of(log_level) == 405);
    CHECK(header_of(log_level, "Allow") == "PUT, OPTIONS");

    auto options = raw_exchange(port, "OPTIONS /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(status_of(options) == 204);
    CHECK(header_of(options, "Allow") == "GET, HEAD, OPTIONS");
    CHECK(body_of(options).empty());

    const auto get = raw_exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n" + auth);
    const auto head = raw_exchange(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n" + auth);
    REQUIRE(status_of(get) == 200);
    CHECK(status_of(head) == 200);
    CHECK(header_of(head, "Content-Type") == header_of(get, "Content-Type"));
    CHECK(std::stoul(header_of(head, "Content-Length")) > 100);  // the metrics text's size, not sent
    CHECK(body_of(head).empty());
    CHECK(status_of(raw_exchange(port, "HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) ==
          401);
    CHECK(status_of(raw_exchange(port, "HEAD /nowhere HTTP/1.1\r\nHost: x\r\n" + auth)) == 404);

    // Every response carries a Date (RFC 9110 6.6.1), e.g. "Tue, 01 Dec 2026 01:10:00 GMT".
    const auto date = header_of(get, "Date");
    CHECK(date.size() == 29);
    CHECK(date.substr(date.size() - 4) == " GMT");
}

TEST_CASE("admin: query strings, percent-encoded segments, absolute-form targets") {
    admin_fixture f;
    const auto port = f.admin->port();
    f.admin->add_route("POST", "/things/{id}/poke", true,
                       [](const admin_request& r) -> awaitable<admin_response> {
                           admin_response res;
                           res.body = {{"id", r.params.at("id")}, {"path", r.path}};
                           co_return res;
                       });
    // "%2F" is data inside one segment, not a separator (RFC 3986 2.2).
    auto slash = http_request(port, "POST", "/things/a%2Fb/poke", {}, "s3cret");
    CHECK(slash.status == 200);
    CHECK(json::parse(slash.body)["id"] == "a/b");
    CHECK(http_request(port, "POST", "/things/a/b/poke", {}, "s3cret").status == 404);
    CHECK(http_request(port, "POST", "/things/%zz/poke", {}, "s3cret").status == 400);
    // Encoded letters match the route's literal segments.
    CHECK(http_request(port, "GET", "/%68ealth", {}, "s3cret").status == 200);
    // A query on any route; trailing slash and empty segments are ignored.
    CHECK(http_request(port, "GET", "/health?verbose=1&x=a%20b", {}, "s3cret").status == 200);
    CHECK(http_request(port, "GET", "/health/", {}, "s3cret").status == 200);
    // Absolute form (RFC 9112 3.2.2: a server must accept it).
    const std::string auth = "Authorization: Bearer s3cret\r\nConnection: close\r\n\r\n";
    CHECK(status_of(raw_exchange(
              port, "GET http://127.0.0.1/health?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth)) == 200);
    CHECK(status_of(raw_exchange(
              port, "GET HTTP://127.0.0.1:9/health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth)) == 200);
    CHECK(status_of(raw_exchange(port, "GET health HTTP/1.1\r\nHost: x\r\n" + auth)) == 400);
    // An unknown route is a JSON 404.
    auto missing = raw_exchange(port, "GET /no/such/route HTTP/1.1\r\nHost: x\r\n" + auth);
    CHECK(status_of(missing) == 404);
    CHECK(header_of(missing, "Content-Type") == "application/json");
    CHECK(json::parse(body_of(missing))["error"] == "No admin route /no/such/route.");
    // HTTP/1.1 without Host is a 400 (RFC 9112 3.2).
    CHECK(status_of(raw_exchange(port, "GET /health HTTP/1.1\r\n" + auth)) == 400);
}

TEST_CASE("admin: bodies framed by Content-Length or chunked; Expect: 100-continue") {
    admin_fixture f;
    const auto port = f.admin->port();
    const std::string body = R"({"level":"debug"})";
    auto chunked = raw_exchange(
        port,
        "PUT /log-level HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
            std::string("5\r\n") + body.substr(0, 5) + "\r\n" +
            [&] {
                char size[8];
                std::snprintf(size, sizeof size, "%zx", body.size() - 5);
                return std::string(size);
            }() +
            "\r\n" + body.substr(5) + "\r\n0\r\n\r\n");
    CHECK(status_of(chunked) == 200);
    CHECK(f.n.log_level() == "debug");

    // Both framings at once is an attack vector (request smuggling): 400, and the connection closes.
    auto both = raw_exchange(port,
                             "PUT /log-level HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n"
                             "Content-Length: 17\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                 body);
    CHECK(status_of(both) == 400);

    // Expect: 100-continue: the server asks for the body before the client sends it.
    {
        raw_http c(port);
        c.send(
            "PUT /log-level HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nExpect: 100-continue\r\n"
            "Content-Length: " +
            std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n");
        REQUIRE(c.read_until_contains("\r\n\r\n", 2s));
        CHECK(status_of(c.received()) == 100);
        c.send(R"({"level":"info" })");  // Content-Length: the size of `body`
        REQUIRE(c.read_until_closed());
        CHECK(status_of(c.received(), 1) == 200);
        CHECK(f.n.log_level() == "info");
    }
    // Too large with Expect: refused without asking for the body.
    {
        raw_http c(port);
        c.send(
            "PUT /log-level HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nExpect: 100-continue\r\n"
            "Content-Length: 5000\r\n\r\n");
        REQUIRE(c.read_until_closed());
        CHECK(status_of(c.received()) == 413);
    }
    // An expectation the server cannot meet.
    CHECK(status_of(raw_exchange(port,
                                 "GET /health HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n"
                                 "Authorization: Bearer s3cret\r\n\r\n")) == 417);
}

TEST_CASE("admin: an oversized body gets 413 even while the client is still sending it") {
    admin_fixture f;  // max_body 1024
    const auto port = f.admin->port();
    for (bool chunked : {false, true}) {
        CAPTURE(chunked);
        raw_http c(port);
        const std::string big(256 * 1024, 'x');
        std::string head = "PUT /log-level HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n";
        std::string body;
        if (chunked) {
            head += "Transfer-Encoding: chunked\r\n\r\n";
            for (int i = 0; i < 16; ++i) body += "4000\r\n" + big.substr(0, 0x4000) + "\r\n";
            body += "0\r\n\r\n";
        } else {
            head += "Content-Length: " + std::to_string(big.size()) + "\r\n\r\n";
            body = big;
        }
        c.send(head);
        // The client keeps writing while the server answers; the server must not reset the
        // connection (which would discard its 413 at the client) before the client read it.
        std::thread writer([&] {
            boost::system::error_code ec;
            boost::asio::write(c.socket(), boost::asio::buffer(body), ec);
            c.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
        });
        const bool closed = c.read_until_closed();
        writer.join();
        CHECK(closed);
        CHECK(status_of(c.received()) == 413);
        CHECK_FALSE(c.reset());
    }
    CHECK(f.get("/health").status == 200);
}

TEST_CASE("admin: keep-alive by default, Connection: close and HTTP/1.0 close") {
    admin_fixture f;
    const auto port = f.admin->port();
    // Two pipelined requests on one connection; the second asks to close (any case).
    raw_http c(port);
    c.send(
        "GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n\r\n"
        "GET /node HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nConnection: CLOSE\r\n\r\n");
    REQUIRE(c.read_until_closed());
    CHECK(status_of(c.received(), 0) == 200);
    CHECK(status_of(c.received(), 1) == 200);
    CHECK(header_of(c.received(), "Connection") == "close");
    CHECK(json::parse(body_of(c.received()))["name"] == "admin-node");

    // A keep-alive connection stays open after a response.
    raw_http k(port);
    k.send("GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n\r\n");
    REQUIRE(k.read_until_contains("\"ok\""));
    k.send("GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nConnection: close\r\n\r\n");
    REQUIRE(k.read_until_closed());
    CHECK(status_of(k.received(), 1) == 200);

    // HTTP/1.0 closes unless it asks for keep-alive.
    auto old = raw_exchange(port, "GET /health HTTP/1.0\r\nAuthorization: Bearer s3cret\r\n\r\n");
    CHECK(old.rfind("HTTP/1.0 200", 0) == 0);
}

TEST_CASE("admin: error messages quoting bytes that are not UTF-8 still get a JSON answer") {
    // A percent-decoded path or query value can be any bytes; the error body quotes it. Printing
    // that JSON used to throw, and the client got no answer at all.
    admin_fixture f;
    auto missing = f.get("/no%ffroute");
    CHECK(missing.status == 404);
    CHECK(json::parse(missing.body)["error"].get<std::string>().find("/no") != std::string::npos);

    auto wrong_method = http_request(f.admin->port(), "DELETE", "/health%c3", {}, "s3cret");
    CHECK(wrong_method.status == 404);
    CHECK(json::parse(wrong_method.body).contains("error"));
    CHECK(f.get("/health").status == 200);
}
