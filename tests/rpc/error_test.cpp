#include "rpc/error.hpp"

#include <catch2/catch.hpp>

#include "rpc/method.hpp"
#include "rpc/result.hpp"

using namespace hearth::rpc;

TEST_CASE("every errc has a stable name that round-trips") {
    for (int i = 1; i <= 8; ++i) {
        auto e = static_cast<errc>(i);
        auto name = to_string(e);
        REQUIRE(name != "unknown");
        REQUIRE(errc_from_string(name) == e);
        std::error_code ec = e;
        REQUIRE(ec.category().name() == std::string("hearth.rpc"));
        REQUIRE(ec.message().back() == '.');
    }
    REQUIRE_FALSE(errc_from_string("nope").has_value());
}

TEST_CASE("errc: the checked conversions from std::error_code and from a wire number") {
    for (int i = 1; i <= 8; ++i) {
        const auto e = static_cast<errc>(i);
        CHECK(errc_of(make_error_code(e)) == e);
        CHECK(errc_from_int(i) == e);
    }
    CHECK_FALSE(errc_of(std::error_code(1, std::generic_category())).has_value());
    CHECK_FALSE(errc_from_int(0).has_value());
    CHECK_FALSE(errc_from_int(9).has_value());
    CHECK(std::error_code(static_cast<errc>(9)).message().back() == '.');
}

TEST_CASE("result carries a value or an error") {
    result<int> ok = 7;
    REQUIRE(ok);
    REQUIRE(*ok == 7);
    result<int> bad = error{errc::timeout, "too slow"};
    REQUIRE_FALSE(bad);
    REQUIRE(bad.code() == errc::timeout);
    REQUIRE_THROWS_AS(bad.value(), bad_result_access);
    result<void> v;
    REQUIRE(v);
    result<void> app = app_error("room_full", "The room is full.");
    REQUIRE(app.code() == errc::remote_error);
    REQUIRE(app.error().app_code == "room_full");
    REQUIRE(app.error().describe() == "remote_error(room_full): The room is full.");
}

TEST_CASE("method descriptors split their route") {
    static constexpr method<int, int> join{"room.join"};
    STATIC_REQUIRE(join.service() == "room");
    STATIC_REQUIRE(join.name() == "join");
    STATIC_REQUIRE(valid_route("a.b"));
    STATIC_REQUIRE_FALSE(valid_route("ab"));
    STATIC_REQUIRE_FALSE(valid_route(".b"));
    STATIC_REQUIRE_FALSE(valid_route("a."));
    STATIC_REQUIRE_FALSE(valid_route("a.b.c"));
    STATIC_REQUIRE_FALSE(valid_route("a@n.b"));
}
