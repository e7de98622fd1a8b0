#include "cluster/hmac.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

using namespace hearth::cluster;

namespace {
std::string unhex(std::string_view h) {
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
        out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
    return out;
}
std::string mac_hex(std::string_view key, std::string_view msg) {
    return to_hex(as_bytes(hmac(key, msg)));
}
}  // namespace

TEST_CASE("hmac-sha256 matches the RFC 4231 test vectors") {
    SECTION("test case 1") {
        CHECK(mac_hex(std::string(20, '\x0b'), "Hi There") ==
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    }
    SECTION("test case 2: key shorter than the output") {
        CHECK(mac_hex("Jefe", "what do ya want for nothing?") ==
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
    SECTION("test case 3") {
        CHECK(mac_hex(std::string(20, '\xaa'), std::string(50, '\xdd')) ==
              "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    }
    SECTION("test case 4") {
        CHECK(mac_hex(unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd')) ==
              "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    }
    SECTION("test case 5: truncated output") {
        CHECK(mac_hex(std::string(20, '\x0c'), "Test With Truncation").substr(0, 32) ==
              "a3b6167473100ee06e0c796c2955552b");
    }
    SECTION("test case 6: key larger than the block size") {
        CHECK(mac_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First") ==
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    }
    SECTION("test case 7: large key and large data") {
        CHECK(mac_hex(
                  std::string(131, '\xaa'),
                  "This is a test using a larger than block-size key and a larger than block-size data. The "
                  "key needs to be hashed before being used by the HMAC algorithm.") ==
              "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
    }
}

TEST_CASE("incremental hmac equals one-shot hmac") {
    hmac_sha256 h("key");
    h.update("The quick brown fox ");
    h.update("jumps over the lazy dog");
    CHECK(to_hex(as_bytes(h.finish())) == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST_CASE("hmac gives the same MAC whatever the update chunking") {
    std::string msg;
    for (int i = 0; i < 1000; ++i) msg += static_cast<char>(i * 7);
    const std::string key(100, 'k');  // longer than the block: hashed first
    // Python: hmac.new(b"k" * 100, bytes((i * 7) & 255 for i in range(1000)), "sha256")
    const std::string expected = "ef7a39d81c61dd2c5178c2b161e4202316c6a3a5968ae05ae309a9d4bb5e32a1";
    CHECK(to_hex(as_bytes(hmac(key, msg))) == expected);
    for (std::size_t chunk : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 127u, 999u}) {
        hmac_sha256 h(key);
        for (std::size_t i = 0; i < msg.size(); i += chunk) h.update(std::string_view(msg).substr(i, chunk));
        h.update("", 0);  // an empty update changes nothing
        CHECK(to_hex(as_bytes(h.finish())) == expected);
    }
}

TEST_CASE("hmac of an empty key and message; a key longer than the block is its SHA-256") {
    CHECK(to_hex(as_bytes(hmac("", ""))) ==
          "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    const std::string long_key(131, '\xaa');
    const auto hashed = sha256(long_key);
    CHECK(hmac(long_key, "m") == hmac(as_bytes(hashed), "m"));  // RFC 2104, section 3
    CHECK(hmac("key", "m") != hmac("key2", "m"));
}

TEST_CASE("an hmac_sha256 finishes once") {
    hmac_sha256 h("key");
    h.update("m");
    CHECK(h.finish() == hmac("key", "m"));
    CHECK_THROWS_AS(h.finish(), std::runtime_error);
    CHECK_THROWS_AS(h.update("more"), std::runtime_error);
}

TEST_CASE("constant_time_equal compares contents and lengths") {
    CHECK(constant_time_equal("", ""));
    CHECK(constant_time_equal("abc", "abc"));
    CHECK_FALSE(constant_time_equal("abc", "abd"));
    CHECK_FALSE(constant_time_equal("abc", "ab"));
    CHECK_FALSE(constant_time_equal(std::string_view("a\0c", 3), std::string_view("a\0d", 3)));
    const auto d = hmac("k", "m");
    auto e = d;
    e[31] ^= 1;
    CHECK(constant_time_equal(as_bytes(d), as_bytes(d)));
    CHECK_FALSE(constant_time_equal(as_bytes(d), as_bytes(e)));
}
