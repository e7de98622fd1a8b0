// The admin endpoint over HTTPS: routes and the token as over HTTP, the certificate checked by
// a verifying client, a wrong-CA client and a plain HTTP client refused while others are served,
// the certificate reloaded for new connections, a start error naming a bad file.
#include <catch2/catch.hpp>

#include <filesystem>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "framework/admin.hpp"
#include "framework/tls.hpp"
#include "tests/framework/harness.hpp"
#include "tests/framework/http_client.hpp"
#include "tests/framework/test_services.hpp"
#include "tests/support/test_certs.hpp"

using namespace hearth;
using namespace hearth::testing;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace fs = std::filesystem;

namespace {

struct https_result {
    boost::system::error_code error;  // the TLS handshake's or the exchange's
    unsigned status = 0;
    std::string body;
    std::string peer_fingerprint;  // "AB:CD:…", the form of tls_context::fingerprint_sha256()
};

// One HTTPS request with a client that verifies the server against `ca_file` for 127.0.0.1.
https_result https_request(std::uint16_t port, const std::string& ca_file, const std::string& method,
                           const std::string& target, const std::string& token) {
    https_result r;
    asio::io_context io;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file(ca_file);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    asio::ssl::stream<asio::ip::tcp::socket> s(io, ctx);
    s.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
    s.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
    s.handshake(asio::ssl::stream_base::client, r.error);
    if (r.error) return r;
    if (X509* peer = SSL_get1_peer_certificate(s.native_handle())) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        X509_digest(peer, EVP_sha256(), md, &n);
        static constexpr char hex[] = "0123456789ABCDEF";
        for (unsigned i = 0; i < n; ++i) {
            if (i) r.peer_fingerprint += ':';
            r.peer_fingerprint += hex[md[i] >> 4];
            r.peer_fingerprint += hex[md[i] & 15];
        }
        X509_free(peer);
    }
    http::request<http::string_body> req{method == "POST" ? http::verb::post : http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer " + token);
    req.prepare_payload();
    http::write(s, req, r.error);
    if (r.error) return r;
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res, r.error);
    if (r.error) return r;
    r.status = res.result_int();
    r.body = res.body();
    return r;
}

struct https_fixture {
    hearth::test::temporary_pki pki;
    const fs::path& dir = pki.dir();
    node n{test_config("admin-tls", 2)};
    std::unique_ptr<admin_server> admin;
    https_fixture() {
        // The live files the admin reads; the test overwrites them to renew the certificate.
        fs::copy_file(dir / "server.pem", dir / "live.pem", fs::copy_options::overwrite_existing);
        fs::copy_file(dir / "server.key", dir / "live.key", fs::copy_options::overwrite_existing);
        n.add_service<echo_service>("echo");
        n.start();
        admin_config c;
        c.token = "s3cret";
        c.request_timeout = 500ms;
        c.tls.certificate_chain_file = (dir / "live.pem").string();
        c.tls.private_key_file = (dir / "live.key").string();
        admin = std::make_unique<admin_server>(n, c);
        admin->start();
    }
    ~https_fixture() {
        admin->stop();
        n.stop();
    }
    std::string ca() const { return (dir / "ca.pem").string(); }
};

}  // namespace

TEST_CASE("admin over HTTPS: routes, token, certificate, refusals, reload", "[tls][admin]") {
    https_fixture f;
    CHECK(f.admin->url() == "https://127.0.0.1:" + std::to_string(f.admin->port()));
    REQUIRE(f.admin->tls());

    auto health = https_request(f.admin->port(), f.ca(), "GET", "/health", "s3cret");
    REQUIRE_FALSE(health.error);
    CHECK(health.status == 200);
    CHECK(health.peer_fingerprint == f.admin->tls()->fingerprint_sha256());
    CHECK(https_request(f.admin->port(), f.ca(), "POST", "/shutdown", "wrong").status == 403);

    // A client that trusts another CA refuses the server; plain HTTP gets no answer; both end,
    // and the next client is served.
    auto distrust =
        https_request(f.admin->port(), (f.dir / "other_ca.pem").string(), "GET", "/health", "s3cret");
    CHECK(distrust.error);
    CHECK_THROWS(http_request(f.admin->port(), "GET", "/health", {}, "s3cret"));  // no HTTP answer
    CHECK(https_request(f.admin->port(), f.ca(), "GET", "/health", "s3cret").status == 200);

    // Renewal: the files are replaced, reload_tls() presents the new certificate to new
    // connections.
    const auto before = f.admin->tls()->fingerprint_sha256();
    fs::copy_file(f.dir / "server2.pem", f.dir / "live.pem", fs::copy_options::overwrite_existing);
    fs::copy_file(f.dir / "server2.key", f.dir / "live.key", fs::copy_options::overwrite_existing);
    auto reloaded = f.admin->reload_tls();
    REQUIRE(reloaded);
    CHECK(*reloaded != before);
    auto after = https_request(f.admin->port(), f.ca(), "GET", "/health", "s3cret");
    REQUIRE_FALSE(after.error);
    CHECK(after.peer_fingerprint == *reloaded);

    // A broken file: refused with the file named, the renewed certificate stays.
    hearth::test::write_text_file(f.dir / "live.key", "not a key\n");
    auto bad = f.admin->reload_tls();
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find((f.dir / "live.key").string()) != std::string::npos);
    CHECK(https_request(f.admin->port(), f.ca(), "GET", "/health", "s3cret").peer_fingerprint == *reloaded);
}

TEST_CASE("admin over HTTPS: a bad certificate file is a start error naming it", "[tls][admin]") {
    node n{test_config("admin-tls-bad", 1)};
    n.start();
    admin_config c;
    c.tls.certificate_chain_file = "/nonexistent/admin.pem";
    c.tls.private_key_file = "/nonexistent/admin.key";
    admin_server admin(n, c);
    try {
        admin.start();
        FAIL("start() accepted a missing certificate file");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("'/nonexistent/admin.pem'") != std::string::npos);
    }
    CHECK(admin.port() == 0);
    n.stop();
}
