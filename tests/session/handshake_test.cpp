#include "session/handshake.hpp"

#include <catch2/catch.hpp>

using namespace hearth::session;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_CASE("handshake reply matches the contract byte for byte") {
    REQUIRE(handshake_reply(30s, 1700000000) ==
            R"({"code":200,"sys":{"heartbeat":30,"servertime":1700000000}})");
    REQUIRE(handshake_reply(1500ms, 1) == R"({"code":200,"sys":{"heartbeat":1.5,"servertime":1}})");
}

TEST_CASE("handshake reply carries the dictionary only when there is one") {
    route_dictionary empty;
    REQUIRE(handshake_reply(30s, 5, &empty) == R"({"code":200,"sys":{"heartbeat":30,"servertime":5}})");
    route_dictionary d;
    REQUIRE_FALSE(d.assign(std::map<std::string, std::uint16_t>{{"room.join", 1}, {"onMessage", 2}}));
    REQUIRE(handshake_reply(30s, 5, &d) ==
            R"({"code":200,"sys":{"heartbeat":30,"servertime":5,"dict":{"room.join":1,"onMessage":2}}})");
}

TEST_CASE("handshake reply with the current time") {
    const auto j = json::parse(handshake_reply(10s));
    REQUIRE(j["code"] == 200);
    REQUIRE(j["sys"]["servertime"].get<std::int64_t>() > 1700000000);
}

TEST_CASE("handshake failure reply") {
    REQUIRE(handshake_failure(400, "bad \"token\"") == R"({"code":400,"message":"bad \"token\""})");
    const auto j = json::parse(handshake_failure(500, std::string_view("\xff\xfe", 2)));
    REQUIRE(j["code"] == 500);
}

TEST_CASE("parse a client handshake") {
    handshake_request r;
    REQUIRE_FALSE(parse_handshake(
        R"({"sys":{"type":"js-websocket","version":"0.0.1","rsa":{}},"user":{"token":"t"}})", r));
    REQUIRE(r.type == "js-websocket");
    REQUIRE(r.version == "0.0.1");
    REQUIRE(r.sys["rsa"].is_object());
    REQUIRE(r.user["token"] == "t");
}

TEST_CASE("parse tolerates missing fields") {
    handshake_request r;
    r.type = "stale";
    REQUIRE_FALSE(parse_handshake("{}", r));
    REQUIRE(r.type.empty());
    REQUIRE(r.user.is_null());
    REQUIRE(r.sys.is_null());
    REQUIRE_FALSE(parse_handshake("", r));
    REQUIRE_FALSE(parse_handshake("  \n", r));
    REQUIRE_FALSE(parse_handshake(R"({"sys":{"type":7},"user":"name"})", r));
    REQUIRE(r.type.empty());
    REQUIRE(r.user == "name");
    REQUIRE_FALSE(parse_handshake(R"({"sys":null})", r));
}

TEST_CASE("parse refuses malformed handshakes") {
    const char* bad[] = {"{",     "[]",  "42", "\"sys\"", "null", R"({"sys":[1]})", R"({"sys":"x"})",
                         "{} {}", "\xff"};
    for (const char* text : bad) {
        INFO(text);
        handshake_request r;
        r.type = "unchanged";
        REQUIRE(parse_handshake(text, r) == errc::bad_handshake);
        REQUIRE(r.type == "unchanged");
    }
}

TEST_CASE("parse refuses deep nesting before parsing") {
    handshake_request r;
    std::string deep = R"({"user":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
    REQUIRE(parse_handshake(deep, r) == errc::bad_handshake);
    std::string ok = R"({"user":)" + std::string(30, '[') + std::string(30, ']') + "}";
    REQUIRE_FALSE(parse_handshake(ok, r));
    // Brackets inside strings do not count.
    std::string in_string = R"({"user":")" + std::string(1000, '[') + R"(\""})";
    REQUIRE_FALSE(parse_handshake(in_string, r));
}
