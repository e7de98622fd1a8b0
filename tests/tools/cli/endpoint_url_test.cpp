#include "tools/cli/endpoint_url.hpp"

#include <catch2/catch.hpp>

using hearth::tools::parse_endpoint_url;

TEST_CASE("endpoint_url: the forms a gate and an admin endpoint print", "[tools][cli]") {
    std::string error;
    auto u = parse_endpoint_url("tcp://127.0.0.1:3250", {"tcp", "ws"}, error);
    REQUIRE(u);
    CHECK(u->scheme == "tcp");
    CHECK(u->host == "127.0.0.1");
    CHECK(u->port == 3250);
    CHECK(u->path.empty());
    u = parse_endpoint_url("WS://localhost:3251/ws", {"tcp", "ws"}, error);
    REQUIRE(u);
    CHECK(u->scheme == "ws");
    CHECK(u->path == "/ws");
    CHECK(u->authority() == "localhost:3251");
    u = parse_endpoint_url("ws://[::1]:80", {"tcp", "ws"}, error);
    REQUIRE(u);
    CHECK(u->host == "::1");
    CHECK(u->path == "/");
    CHECK(u->authority() == "[::1]:80");
    u = parse_endpoint_url("http://127.0.0.1:9101/", {"http"}, error);
    REQUIRE(u);
    CHECK(u->path == "/");
    u = parse_endpoint_url("tcp://h:1/", {"tcp"}, error);
    REQUIRE(u);
    CHECK(u->path.empty());
}

TEST_CASE("endpoint_url: bad addresses are errors naming the problem", "[tools][cli]") {
    const std::pair<const char*, const char*> cases[] = {
        {"127.0.0.1:3250", "is not a URL"},
        {"udp://127.0.0.1:1", "the scheme must be tcp:// or ws://"},
        {"http://127.0.0.1:1", "the scheme must be tcp:// or ws://"},
        {"tcp://127.0.0.1", "the port is missing"},
        {"tcp://:3250", "the host is missing"},
        {"tcp://h:0", "1..65535"},
        {"tcp://h:65536", "1..65535"},
        {"tcp://h:12ab", "1..65535"},
        {"tcp://h:", "1..65535"},
        {"tcp://h:1/path", "has no path"},
        {"ws://[::1/ws", "[IPv6]:PORT"},
    };
    for (const auto& [text, expected] : cases) {
        INFO(text);
        std::string error;
        CHECK_FALSE(parse_endpoint_url(text, {"tcp", "ws"}, error));
        CHECK_THAT(error, Catch::Contains(expected));
    }
}
