#include "tools/cli/command.hpp"

#include <catch2/catch.hpp>

using hearth::tools::command;
using hearth::tools::parse_command;

TEST_CASE("command: request and notify take a route and JSON, compacted; {} by default", "[tools][cli]") {
    std::string error;
    auto c = parse_command("  request room.join { \"name\" : \"ada\" }  ", error);
    REQUIRE(c);
    CHECK(c->what == command::kind::request);
    CHECK(c->route == "room.join");
    CHECK(c->payload == R"({"name":"ada"})");
    c = parse_command("notify\troom.message", error);
    REQUIRE(c);
    CHECK(c->what == command::kind::notify);
    CHECK(c->route == "room.message");
    CHECK(c->payload == "{}");
    c = parse_command("request echo.echo [1, \"two words\", null]", error);
    REQUIRE(c);
    CHECK(c->payload == R"([1,"two words",null])");
}

TEST_CASE("command: blank lines and comments are nothing; waits take optional seconds", "[tools][cli]") {
    std::string error;
    for (const char* line : {"", "   ", "# request room.join {}", "\r"}) {
        auto c = parse_command(line, error);
        REQUIRE(c);
        CHECK(c->what == command::kind::none);
    }
    auto c = parse_command("wait-push onMessage", error);
    REQUIRE(c);
    CHECK(c->what == command::kind::wait_push);
    CHECK(c->route == "onMessage");
    CHECK_FALSE(c->timeout);
    c = parse_command("wait-push onMessage 0.25", error);
    REQUIRE(c);
    CHECK(c->timeout == std::chrono::milliseconds(250));
    c = parse_command("wait-kick 3", error);
    REQUIRE(c);
    CHECK(c->what == command::kind::wait_kick);
    CHECK(c->timeout == std::chrono::seconds(3));
    CHECK(parse_command("quit", error)->what == command::kind::quit);
    CHECK(parse_command("exit", error)->what == command::kind::quit);
    CHECK(parse_command("help", error)->what == command::kind::help);
}

TEST_CASE("command: every malformed line is an error naming the problem", "[tools][cli]") {
    const std::pair<const char*, const char*> cases[] = {
        {"send room.join {}", "unknown command 'send'"},
        {"request", "request needs a route"},
        {"notify", "notify needs a route"},
        {"request room.join {\"name\":", "is not valid JSON"},
        {"request room.join {} trailing", "is not valid JSON"},
        {"wait-push", "wait-push needs a route"},
        {"wait-push onMessage soon", "is not a timeout"},
        {"wait-push onMessage -1", "is not a timeout"},
        {"wait-push onMessage 0", "is not a timeout"},
        {"wait-kick nan", "is not a timeout"},
        {"wait-kick 1 2", "unexpected text after wait-kick"},
        {"quit now", "unexpected text after quit"},
    };
    for (const auto& [line, expected] : cases) {
        INFO(line);
        std::string error;
        CHECK_FALSE(parse_command(line, error));
        CHECK_THAT(error, Catch::Contains(expected));
    }
    std::string error;
    CHECK_FALSE(parse_command("request " + std::string(256, 'r'), error));
    CHECK_THAT(error, Catch::Contains("longer than 255"));
    CHECK(parse_command("request " + std::string(255, 'r'), error));
}
