#include "rpc/codec.hpp"

#include <catch2/catch.hpp>

using namespace hearth::rpc;

namespace {
struct point {
    int x = 0;
    std::string label;
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(point, x, label)
};
}  // namespace

TEST_CASE("every codec round-trips a typed value") {
    for (auto c : {codec::json, codec::cbor, codec::msgpack}) {
        point p{42, "forty-two"};
        auto bytes = encode(c, p);
        auto back = decode<point>(c, bytes);
        REQUIRE(back);
        REQUIRE(back->x == 42);
        REQUIRE(back->label == "forty-two");
        REQUIRE(codec_from_string(to_string(c)) == c);
    }
}

TEST_CASE("malformed payloads are bad_request, never a throw") {
    for (auto c : {codec::json, codec::cbor, codec::msgpack}) {
        auto r = decode<point>(c, std::string_view("\xff\x00{garbage", 10));
        REQUIRE_FALSE(r);
        REQUIRE(r.code() == errc::bad_request);
    }
    auto wrong_shape = decode<point>(codec::json, R"({"x":"not a number"})");
    REQUIRE_FALSE(wrong_shape);
    REQUIRE(wrong_shape.code() == errc::bad_request);
}
