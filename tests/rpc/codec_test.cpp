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

TEST_CASE("plain strings take the JSON fast path and match the general encoding byte for byte") {
    for (std::string s : {std::string(""), std::string("hello world"), std::string(4096, 'p'),
                          std::string("a\"b"), std::string("back\\slash"), std::string("tab\there"),
                          std::string("caf\xc3\xa9"), std::string("\x01ctl")}) {
        const auto bytes = encode(codec::json, s);
        CHECK(bytes == encode_json(codec::json, nlohmann::json(s)));
        auto back = decode<std::string>(codec::json, bytes);
        REQUIRE(back);
        CHECK(*back == s);
    }
    CHECK(encode_plain_json_string("ok").has_value());
    CHECK_FALSE(encode_plain_json_string("no\"pe").has_value());
    std::string out;
    CHECK(decode_plain_json_string("\"abc\"", out));
    CHECK(out == "abc");
    CHECK_FALSE(decode_plain_json_string("\"a\\\"b\"", out));  // escapes take the general path
    CHECK_FALSE(decode_plain_json_string("abc", out));
    auto not_a_string = decode<std::string>(codec::json, "42");
    CHECK(not_a_string.code() == errc::bad_request);
}

TEST_CASE("the word-at-a-time plain test agrees with the byte rule for every byte at every position") {
    auto plain_byte = [](unsigned char u) {
        return u >= 0x20 && u < 0x7f && u != '"' && u != '\\';
    };
    for (std::size_t len : {1u, 7u, 8u, 9u, 16u, 19u}) {
        for (std::size_t pos = 0; pos < len; ++pos) {
            for (int b = 0; b < 256; ++b) {
                std::string s(len, 'a');
                s[pos] = static_cast<char>(b);
                INFO("length " << len << ", byte " << b << " at " << pos);
                REQUIRE(all_plain(s) == plain_byte(static_cast<unsigned char>(b)));
                std::string out = "old";
                const bool fast = encode_plain_json_string(s, out);
                REQUIRE(fast == all_plain(s));
                if (fast) REQUIRE(out == encode_json(codec::json, nlohmann::json(s)));
            }
        }
    }
    std::string reused;
    encode_to(codec::json, std::string("first"), reused);
    encode_to(codec::json, std::string("tab\there"), reused);  // the general path replaces too
    CHECK(reused == encode_json(codec::json, nlohmann::json("tab\there")));
}
