#include "session/route_dictionary.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

using namespace hearth::session;
using nlohmann::json;

TEST_CASE("route dictionary maps both ways") {
    route_dictionary d;
    REQUIRE(d.empty());
    REQUIRE_FALSE(d.assign(json::parse(R"({"room.join":1,"onMessage":2,"z.last":65535,"a.zero":0})")));
    REQUIRE(d.size() == 4);
    REQUIRE(d.code("room.join") == 1);
    REQUIRE(d.code("onMessage") == 2);
    REQUIRE(d.code("z.last") == 65535);
    REQUIRE(d.code("a.zero") == 0);
    REQUIRE_FALSE(d.code("nope").has_value());
    REQUIRE(d.route(1) == std::optional<std::string_view>("room.join"));
    REQUIRE(d.route(65535) == std::optional<std::string_view>("z.last"));
    REQUIRE_FALSE(d.route(3).has_value());
    REQUIRE(d.to_json() == json::parse(R"({"room.join":1,"onMessage":2,"z.last":65535,"a.zero":0})"));

    std::vector<std::uint16_t> codes;
    d.for_each([&](std::uint16_t c, std::string_view) { codes.push_back(c); });
    REQUIRE(codes == std::vector<std::uint16_t>{0, 1, 2, 65535});
}

TEST_CASE("route dictionary refuses bad input and stays unchanged") {
    route_dictionary d;
    REQUIRE_FALSE(d.assign(std::map<std::string, std::uint16_t>{{"keep.me", 7}}));
    const char* bad[] = {
        R"([1,2])",         R"({"a.b":"1"})",       R"({"a.b":1.5})", R"({"a.b":-1})",
        R"({"a.b":65536})", R"({"a.b":1,"c.d":1})", R"({"":1})",      R"({"a.b":null})",
    };
    for (const char* text : bad) {
        INFO(text);
        REQUIRE(d.assign(json::parse(text)) == errc::bad_dictionary);
        REQUIRE(d.size() == 1);
        REQUIRE(d.code("keep.me") == 7);
    }
    REQUIRE(d.assign(json::object({{std::string(256, 'r'), 1}})) == errc::bad_dictionary);
    REQUIRE_FALSE(d.assign(json::object({{std::string(255, 'r'), 1}})));
    REQUIRE(d.add("x.y", 1) == errc::bad_dictionary);                  // code taken
    REQUIRE(d.add(std::string(255, 'r'), 2) == errc::bad_dictionary);  // route taken
    REQUIRE_FALSE(d.add("x.y", 2));
}

TEST_CASE("copies of a dictionary are independent") {
    route_dictionary a;
    REQUIRE_FALSE(a.add("a.b", 1));
    route_dictionary b = a;
    a = route_dictionary{};
    REQUIRE(b.route(1) == std::optional<std::string_view>("a.b"));
    REQUIRE(b.code("a.b") == 1);
}
