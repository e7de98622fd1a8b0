#include "framework/admin.hpp"

#include <catch2/catch.hpp>

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
    CHECK(http_request(f.admin->port(), "POST", "/shutdown", {}, "").status == 401);
    CHECK(http_request(f.admin->port(), "POST", "/shutdown", {}, "nope").status == 403);
    CHECK_FALSE(f.n.stopping());

    auto missing = f.get("/nowhere");
    CHECK(missing.status == 404);
    CHECK(json::parse(missing.body)["error"].get<std::string>().find("/nowhere") != std::string::npos);

    auto wrong_method = http_request(f.admin->port(), "DELETE", "/health", {}, "s3cret");
    CHECK(wrong_method.status == 405);
    CHECK(wrong_method.allow == "GET");

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
