// tls_options and tls_context: every configuration error is a sentence naming the file, and a
// real handshake over loopback checks verification, certificate names and error labels.

#include "framework/tls.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/test_certs.hpp"

namespace fs = std::filesystem;
namespace asio = boost::asio;
using hearth::tls_context;
using hearth::tls_options;
using hearth::test::leaf_spec;
using hearth::test::test_ca;
using hearth::test::write_text_file;

namespace {

// The test PKI in a folder of its own (test_certs.hpp), with shorthands for file paths.
struct pki_dir : hearth::test::temporary_pki {
    std::string operator()(const std::string& name) const { return file(name); }
    tls_options server(const std::string& stem = "server") const {
        tls_options o;
        o.certificate_chain_file = file(stem + ".pem");
        o.private_key_file = file(stem + ".key");
        return o;
    }
};

std::string error_of(const tls_options& o, tls_context::role r = tls_context::role::server) {
    try {
        tls_context c(o, r);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return {};
}

}  // namespace

TEST_CASE("tls_context loads a certificate and reports its fingerprint, subject and expiry", "[tls]") {
    pki_dir pki;
    tls_context c(pki.server(), tls_context::role::server);
    CHECK(std::regex_match(c.fingerprint_sha256(), std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}")));
    CHECK(c.subject().find("CN=localhost") != std::string::npos);
    CHECK(c.not_after().find("GMT") != std::string::npos);
    // Another certificate, another fingerprint: what a reload reports.
    tls_context other(pki.server("server2"), tls_context::role::server);
    CHECK(other.fingerprint_sha256() != c.fingerprint_sha256());
}

TEST_CASE("tls_context names the file and the problem for every bad configuration", "[tls]") {
    pki_dir pki;
    auto o = pki.server();

    SECTION("missing certificate file") {
        o.certificate_chain_file = pki("absent.pem");
        const auto e = error_of(o);
        CHECK(e.find("cannot read the certificate chain file '" + pki("absent.pem") + "'") !=
              std::string::npos);
    }
    SECTION("certificate file that is not PEM") {
        write_text_file(pki.dir() / "garbage.pem", "not a certificate\n");
        o.certificate_chain_file = pki("garbage.pem");
        CHECK(error_of(o).find("'" + pki("garbage.pem") + "' holds no usable PEM certificate") !=
              std::string::npos);
    }
    SECTION("expired certificate") {
        o = pki.server("expired");
        CHECK(error_of(o).find("the certificate in '" + pki("expired.pem") + "' expired on") !=
              std::string::npos);
    }
    SECTION("certificate not yet valid") {
        test_ca ca("future CA");
        auto spec = leaf_spec::named("localhost");
        spec.valid_from = std::chrono::hours(24);
        spec.valid_until = std::chrono::hours(48);
        auto p = ca.issue(spec);
        write_text_file(pki.dir() / "future.pem", p.certificate);
        write_text_file(pki.dir() / "future.key", p.private_key);
        CHECK(error_of(pki.server("future")).find("'" + pki("future.pem") + "' is not valid before") !=
              std::string::npos);
    }
    SECTION("key of another certificate") {
        o.private_key_file = pki("server2.key");
        const auto e = error_of(o);
        CHECK(e.find("the private key '" + pki("server2.key") + "' does not match the certificate in '" +
                     pki("server.pem") + "'") != std::string::npos);
    }
    SECTION("missing key file") {
        o.private_key_file = pki("absent.key");
        CHECK(error_of(o).find("cannot read the private key file '" + pki("absent.key") + "'") !=
              std::string::npos);
    }
    SECTION("encrypted key") {
        o = pki.server("encrypted");
        // Without passphrase_env: a clear load failure, never a terminal prompt.
        CHECK(error_of(o).find("cannot load the private key '" + pki("encrypted.key") +
                               "' (if it is encrypted, set passphrase_env)") != std::string::npos);
        o.passphrase_env = "HEARTH_TLS_TEST_PASSPHRASE";
        ::unsetenv("HEARTH_TLS_TEST_PASSPHRASE");
        CHECK(error_of(o).find("environment variable 'HEARTH_TLS_TEST_PASSPHRASE', which is not set") !=
              std::string::npos);
        ::setenv("HEARTH_TLS_TEST_PASSPHRASE", "wrong", 1);
        CHECK(error_of(o).find("wrong passphrase in $HEARTH_TLS_TEST_PASSPHRASE?") != std::string::npos);
        ::setenv("HEARTH_TLS_TEST_PASSPHRASE", "hearth-test", 1);
        CHECK(error_of(o).empty());
        ::unsetenv("HEARTH_TLS_TEST_PASSPHRASE");
    }
    SECTION("CA file") {
        o.ca_file = pki("absent-ca.pem");
        CHECK(error_of(o).find("cannot read the CA file '" + pki("absent-ca.pem") + "'") !=
              std::string::npos);
        write_text_file(pki.dir() / "garbage-ca.pem",
                        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        o.ca_file = pki("garbage-ca.pem");
        CHECK(error_of(o).find("the CA file '" + pki("garbage-ca.pem") +
                               "' holds no usable PEM certificate") != std::string::npos);
    }
    SECTION("a client needs a CA") {
        CHECK(error_of(o, tls_context::role::client).find("needs a CA file") != std::string::npos);
    }
    SECTION("protocol version and ciphers") {
        o.min_version = "1.1";
        CHECK(error_of(o).find("min_version '1.1' is not supported") != std::string::npos);
        o.min_version = "1.2";
        o.ciphers = "NO-SUCH-CIPHER";
        CHECK(error_of(o).find("the cipher list 'NO-SUCH-CIPHER' has no cipher OpenSSL can use") !=
              std::string::npos);
    }
}

TEST_CASE("tls_options::from_json reads the block and names bad keys", "[tls]") {
    using nlohmann::json;
    auto ok = tls_options::from_json(json{{"certificate_chain_file", "a.pem"},
                                          {"private_key_file", "a.key"},
                                          {"client_ca_file", "ca.pem"},
                                          {"min_version", "1.3"}},
                                     "gate option 'tls'");
    REQUIRE(ok);
    CHECK(ok->ca_file == "ca.pem");
    CHECK(ok->min_version == "1.3");
    CHECK(ok->enabled());

    auto cluster = tls_options::from_json(
        json{{"certificate_chain_file", "a.pem"}, {"private_key_file", "a.key"}, {"ca_file", "ca.pem"}},
        "cluster option 'tls'", "ca_file");
    REQUIRE(cluster);
    CHECK(cluster->ca_file == "ca.pem");

    const auto message = [](const json& j) {
        auto r = tls_options::from_json(j, "gate option 'tls'");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == std::make_error_code(std::errc::invalid_argument));
        return r.error().message;
    };
    CHECK(message(json{{"private_key_file", "a.key"}}) ==
          "The gate option 'tls' needs 'certificate_chain_file' (a PEM file).");
    CHECK(message(json{{"certificate_chain_file", "a.pem"}}) ==
          "The gate option 'tls' needs 'private_key_file' (a PEM file).");
    CHECK(
        message(json{{"certificate_chain_file", "a.pem"}, {"private_key_file", "a.key"}, {"ca_file", "x"}}) ==
        "Unknown key 'ca_file' in the gate option 'tls'.");
    CHECK(message(json{{"certificate_chain_file", 5}}) ==
          "The gate option 'tls' key 'certificate_chain_file' must be a string.");
    CHECK(
        message(
            json{{"certificate_chain_file", "a.pem"}, {"private_key_file", "a.key"}, {"min_version", "1.0"}})
            .find("must be \"1.2\" or \"1.3\"") != std::string::npos);
    CHECK(message(json::array()) == "The gate option 'tls' must be a JSON object.");
}

namespace {

// One TLS handshake over loopback between a server and a client context; returns both sides'
// results and whether the server saw the client's certificate naming `expect_name`.
struct handshake_result {
    boost::system::error_code server, client;
    bool client_named = false;  // server side: the client's certificate names expect_name
    bool server_named = false;  // client side: the server's certificate names "localhost"
};

handshake_result handshake(const tls_context& server, const tls_context& client,
                           const std::string& expect_name) {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ssl::stream<asio::ip::tcp::socket> s(io, server.native());
    asio::ssl::stream<asio::ip::tcp::socket> c(io, client.native());
    handshake_result r;
    acceptor.async_accept(s.next_layer(), [&](boost::system::error_code ec) {
        if (ec) {
            r.server = ec;
            return;
        }
        s.async_handshake(asio::ssl::stream_base::server, [&](boost::system::error_code hec) {
            r.server = hec;
            if (!hec) r.client_named = hearth::tls_peer_certificate_names(s.native_handle(), expect_name);
        });
    });
    c.next_layer().async_connect(acceptor.local_endpoint(), [&](boost::system::error_code ec) {
        if (ec) {
            r.client = ec;
            return;
        }
        c.async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code hec) {
            r.client = hec;
            if (!hec) r.server_named = hearth::tls_peer_certificate_names(c.native_handle(), "localhost");
            // A failed client handshake leaves the server waiting for the rest: close.
            if (hec) c.next_layer().close();
        });
    });
    io.run_for(std::chrono::seconds(10));
    return r;
}

}  // namespace

TEST_CASE("mutual TLS verifies the peer's CA and ties its certificate to a name", "[tls]") {
    pki_dir pki;
    auto server_options = pki.server("node-a");
    server_options.ca_file = pki("ca.pem");

    auto client_options = pki.server("node-b");
    client_options.ca_file = pki("ca.pem");
    const tls_context server(server_options, tls_context::role::server);
    const tls_context client(client_options, tls_context::role::client);

    SECTION("same CA: both verified, the names are the certificates' own") {
        const auto r = handshake(server, client, "node-b");
        CHECK_FALSE(r.server);
        CHECK_FALSE(r.client);
        CHECK(r.client_named);
        const auto wrong = handshake(server, client, "node-c");
        CHECK_FALSE(wrong.server);
        CHECK_FALSE(wrong.client_named);  // node-b's certificate claiming to be node-c
    }
    SECTION("a client certificate from another CA fails the handshake as bad_certificate") {
        auto other = pki.server("other-node-a");
        other.ca_file = pki("ca.pem");
        const tls_context impostor(other, tls_context::role::client);
        const auto r = handshake(server, impostor, "node-a");
        REQUIRE(r.server);
        CHECK(hearth::tls_error_reason(r.server) == "bad_certificate");
    }
    SECTION("a client that trusts another CA refuses the server") {
        auto distrustful = client_options;
        distrustful.ca_file = pki("other_ca.pem");
        const tls_context c(distrustful, tls_context::role::client);
        const auto r = handshake(server, c, "node-b");
        REQUIRE(r.client);
        CHECK(hearth::tls_error_reason(r.client) == "bad_certificate");
    }
}

TEST_CASE("tls_error_reason labels garbage instead of a ClientHello as not_tls", "[tls]") {
    pki_dir pki;
    const tls_context server(pki.server(), tls_context::role::server);
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ssl::stream<asio::ip::tcp::socket> s(io, server.native());
    asio::ip::tcp::socket c(io);
    std::optional<boost::system::error_code> result;
    acceptor.async_accept(s.next_layer(), [&](boost::system::error_code ec) {
        REQUIRE_FALSE(ec);
        s.async_handshake(asio::ssl::stream_base::server,
                          [&](boost::system::error_code hec) { result = hec; });
    });
    static const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    c.async_connect(acceptor.local_endpoint(), [&](boost::system::error_code ec) {
        REQUIRE_FALSE(ec);
        asio::async_write(c, asio::buffer(request), [](boost::system::error_code, std::size_t) {});
    });
    io.run_for(std::chrono::seconds(10));
    REQUIRE(result);
    REQUIRE(*result);
    CHECK(hearth::tls_error_reason(*result) == "not_tls");
    CHECK(hearth::tls_error_reason(boost::asio::error::eof) == "eof");
    CHECK(hearth::tls_error_reason(boost::asio::error::timed_out) == "timeout");
}
